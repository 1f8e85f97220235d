/*
 * A flattened-device-tree reader that extracts what the kernel needs in one
 * pass: memory, reserved memory, harts, timebase, PLIC, CLINT, the stdout
 * UART and the power-off register.  Devicetree spec v0.4, section 5.
 * Every offset is checked against the blob's size.
 */
#include <kernel/platform.h>
#include <kernel/string.h>

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9
#define MAX_DEPTH      16
#define MAX_PATH       160
#define MAX_PHANDLES   32

struct platform platform;

static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static word_t read_cells(const uint8_t *p, unsigned cells)
{
    word_t v = 0;
    for (unsigned i = 0; i < cells; i++)
        v = (v << 32) | be32(p + 4 * i);
    return v;
}

word_t fdt_total_size(const void *dtb)
{
    if (be32(dtb) != FDT_MAGIC)
        return 0;
    return be32((const uint8_t *)dtb + 4);
}

/* True if the string list prop (len bytes) contains s. */
static bool strlist_has(const char *prop, int len, const char *s)
{
    size_t sl = strlen(s);
    for (int i = 0; i < len;) {
        size_t l = strlen(prop + i);
        if (l == sl && !memcmp(prop + i, s, sl))
            return true;
        i += (int)l + 1;
    }
    return false;
}

struct node_info {
    char path[MAX_PATH];
    unsigned addr_cells, size_cells;       /* of this node's children */
    unsigned parent_addr_cells, parent_size_cells;
    const char *compatible;
    int compatible_len;
    const uint8_t *reg;
    int reg_len;
    const char *device_type;
    uint32_t phandle;
    const char *status;
    const uint8_t *interrupts_extended;
    int interrupts_extended_len;
    uint32_t interrupts;
    bool has_interrupts;
    uint32_t ndev;
    uint32_t reg_shift, reg_io_width;
    uint32_t regmap, offset, value;
    bool has_value;
    word_t timebase;
    const char *stdout_path;
};

struct parse_state {
    struct platform *p;
    uint32_t cpu_intc_phandle[MAX_HARTS];  /* interrupt-controller child of each cpu */
    uint32_t pending_intc_phandle;
    const uint8_t *plic_ie;                /* the PLIC's interrupts-extended */
    int plic_ie_len;
    char stdout_path[MAX_PATH];
    struct { char path[MAX_PATH]; word_t base; uint32_t irq, shift, width; } uarts[4];
    unsigned num_uarts;
    uint32_t poweroff_regmap;
    uint32_t poweroff_offset;
    uint32_t poweroff_value;
    bool has_poweroff;
    struct { uint32_t phandle; word_t base; } phandles[MAX_PHANDLES];
    unsigned num_phandles;
};

static void add_region(struct mem_region *regions, unsigned *count, unsigned max, word_t base, word_t size)
{
    if (size && *count < max) {
        regions[*count].base = base;
        regions[*count].size = size;
        (*count)++;
    }
}

static bool node_is_cpu(const struct node_info *n)
{
    return n->device_type && !strcmp(n->device_type, "cpu");
}

static bool status_okay(const struct node_info *n)
{
    return !n->status || !strcmp(n->status, "okay") || !strcmp(n->status, "ok");
}

static void finish_node(struct parse_state *s, struct node_info *n, int depth)
{
    struct platform *p = s->p;
    unsigned ac = n->parent_addr_cells, sc = n->parent_size_cells;
    unsigned entry = 4 * (ac + sc);
    word_t reg_base = 0, reg_size = 0;
    if (n->reg && entry && n->reg_len >= (int)entry) {
        reg_base = read_cells(n->reg, ac);
        reg_size = read_cells(n->reg + 4 * ac, sc);
    }

    if (n->phandle && n->reg && s->num_phandles < MAX_PHANDLES) {
        s->phandles[s->num_phandles].phandle = n->phandle;
        s->phandles[s->num_phandles].base = reg_base;
        s->num_phandles++;
    }

    if ((n->device_type && !strcmp(n->device_type, "memory")) && n->reg && entry) {
        for (int off = 0; off + (int)entry <= n->reg_len; off += entry)
            add_region(p->memory, &p->num_memory, MAX_MEMORY_REGIONS, read_cells(n->reg + off, ac),
                       read_cells(n->reg + off + 4 * ac, sc));
    }
    if (depth == 2 && !strncmp(n->path, "/reserved-memory/", 17) && n->reg && entry) {
        for (int off = 0; off + (int)entry <= n->reg_len; off += entry)
            add_region(p->reserved, &p->num_reserved, MAX_RESERVED_REGIONS, read_cells(n->reg + off, ac),
                       read_cells(n->reg + off + 4 * ac, sc));
    }
    if (!strcmp(n->path, "/cpus") && n->timebase)
        p->timebase_frequency = n->timebase;
    if (node_is_cpu(n) && status_okay(n) && n->reg && p->num_harts < MAX_HARTS) {
        if (n->timebase && !p->timebase_frequency)
            p->timebase_frequency = n->timebase;
        s->cpu_intc_phandle[p->num_harts] = s->pending_intc_phandle;
        p->hartids[p->num_harts++] = read_cells(n->reg, ac);
    }
    if (node_is_cpu(n))
        s->pending_intc_phandle = 0;
    if (n->compatible) {
        if (strlist_has(n->compatible, n->compatible_len, "riscv,cpu-intc")) {
            /*
             * A cpu's interrupt controller is its child, so it finishes before
             * the cpu node does: remember it for the next hart added.
             */
            if (n->phandle)
                s->pending_intc_phandle = n->phandle;
        }
        if (strlist_has(n->compatible, n->compatible_len, "riscv,plic0") ||
            strlist_has(n->compatible, n->compatible_len, "sifive,plic-1.0.0")) {
            p->plic_base = reg_base;
            p->plic_size = reg_size;
            p->plic_num_sources = n->ndev + 1;
            s->plic_ie = n->interrupts_extended;
            s->plic_ie_len = n->interrupts_extended_len;
        }
        if (strlist_has(n->compatible, n->compatible_len, "riscv,clint0") ||
            strlist_has(n->compatible, n->compatible_len, "sifive,clint0")) {
            p->clint_base = reg_base;
            p->clint_size = reg_size;
        }
        if ((strlist_has(n->compatible, n->compatible_len, "ns16550a") ||
             strlist_has(n->compatible, n->compatible_len, "ns16550")) && s->num_uarts < 4 && n->reg) {
            unsigned i = s->num_uarts++;
            memcpy(s->uarts[i].path, n->path, MAX_PATH);
            s->uarts[i].base = reg_base;
            s->uarts[i].irq = n->has_interrupts ? n->interrupts : 0;
            s->uarts[i].shift = n->reg_shift;
            s->uarts[i].width = n->reg_io_width ? n->reg_io_width : 1;
        }
        if (strlist_has(n->compatible, n->compatible_len, "syscon-poweroff") && n->has_value) {
            s->has_poweroff = true;
            s->poweroff_regmap = n->regmap;
            s->poweroff_offset = n->offset;
            s->poweroff_value = n->value;
        }
    }
    if (!strcmp(n->path, "/chosen") && n->stdout_path) {
        size_t i = 0;
        for (; n->stdout_path[i] && n->stdout_path[i] != ':' && i + 1 < MAX_PATH; i++)
            s->stdout_path[i] = n->stdout_path[i];
        s->stdout_path[i] = 0;
    }
}

static void set_prop(struct node_info *n, const char *name, const uint8_t *val, int len)
{
    if (!strcmp(name, "#address-cells") && len == 4)
        n->addr_cells = be32(val);
    else if (!strcmp(name, "#size-cells") && len == 4)
        n->size_cells = be32(val);
    else if (!strcmp(name, "compatible")) {
        n->compatible = (const char *)val;
        n->compatible_len = len;
    } else if (!strcmp(name, "reg")) {
        n->reg = val;
        n->reg_len = len;
    } else if (!strcmp(name, "device_type") && len > 0 && val[len - 1] == 0)
        n->device_type = (const char *)val;
    else if (!strcmp(name, "status") && len > 0 && val[len - 1] == 0)
        n->status = (const char *)val;
    else if (!strcmp(name, "phandle") && len == 4)
        n->phandle = be32(val);
    else if (!strcmp(name, "interrupts-extended")) {
        n->interrupts_extended = val;
        n->interrupts_extended_len = len;
    } else if (!strcmp(name, "interrupts") && len >= 4) {
        n->interrupts = be32(val);
        n->has_interrupts = true;
    } else if (!strcmp(name, "riscv,ndev") && len == 4)
        n->ndev = be32(val);
    else if (!strcmp(name, "reg-shift") && len == 4)
        n->reg_shift = be32(val);
    else if (!strcmp(name, "reg-io-width") && len == 4)
        n->reg_io_width = be32(val);
    else if (!strcmp(name, "regmap") && len == 4)
        n->regmap = be32(val);
    else if (!strcmp(name, "offset") && len == 4)
        n->offset = be32(val);
    else if (!strcmp(name, "value") && len == 4) {
        n->value = be32(val);
        n->has_value = true;
    } else if (!strcmp(name, "timebase-frequency") && (len == 4 || len == 8))
        n->timebase = read_cells(val, (unsigned)len / 4);
    else if (!strcmp(name, "stdout-path") && len > 0 && val[len - 1] == 0)
        n->stdout_path = (const char *)val;
}

const char *fdt_parse(const void *dtb, struct platform *p)
{
    static struct node_info stack[MAX_DEPTH];
    static struct parse_state state;
    const uint8_t *base = dtb;

    if (be32(base) != FDT_MAGIC)
        return "bad magic";
    uint32_t total = be32(base + 4), off_struct = be32(base + 8), off_strings = be32(base + 12);
    uint32_t off_rsvmap = be32(base + 16), version = be32(base + 20);
    uint32_t size_strings = be32(base + 32), size_struct = be32(base + 36);
    if (version < 17)
        return "version older than 17";
    if (off_struct > total || size_struct > total - off_struct || off_strings > total ||
        size_strings > total - off_strings || off_rsvmap > total)
        return "header offsets outside the blob";

    memset(p, 0, sizeof(*p));
    memset(&state, 0, sizeof(state));
    state.p = p;
    for (unsigned i = 0; i < MAX_HARTS; i++)
        p->plic_context[i] = -1;

    /* The memory reservation block: (address, size) pairs ending with a zero size. */
    for (uint32_t off = off_rsvmap; off + 16 <= total; off += 16) {
        word_t addr = read_cells(base + off, 2), size = read_cells(base + off + 8, 2);
        if (!size)
            break;
        add_region(p->reserved, &p->num_reserved, MAX_RESERVED_REGIONS, addr, size);
    }

    const uint8_t *s = base + off_struct, *end = s + size_struct;
    int depth = -1;
    while (s + 4 <= end) {
        uint32_t token = be32(s);
        s += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)s;
            size_t len = 0;
            while (s + len < end && name[len])
                len++;
            if (s + len >= end)
                return "unterminated node name";
            s += ALIGN_UP(len + 1, 4);
            if (++depth >= MAX_DEPTH)
                return "nodes nested too deeply";
            struct node_info *n = &stack[depth];
            struct node_info *parent = depth ? &stack[depth - 1] : NULL;
            memset(n, 0, sizeof(*n));
            n->addr_cells = 2;
            n->size_cells = 1;
            n->parent_addr_cells = parent ? parent->addr_cells : 2;
            n->parent_size_cells = parent ? parent->size_cells : 1;
            if (!parent) {
                n->path[0] = 0;
            } else {
                size_t pl = strlen(parent->path);
                if (pl + 1 + len + 1 > MAX_PATH)
                    return "node path too long";
                memcpy(n->path, parent->path, pl);
                n->path[pl] = '/';
                memcpy(n->path + pl + 1, name, len);
                n->path[pl + 1 + len] = 0;
            }
        } else if (token == FDT_END_NODE) {
            if (depth < 0)
                return "unbalanced end of node";
            finish_node(&state, &stack[depth], depth);
            depth--;
        } else if (token == FDT_PROP) {
            if (s + 8 > end || depth < 0)
                return "truncated property";
            uint32_t len = be32(s), nameoff = be32(s + 4);
            s += 8;
            if (len > (word_t)(end - s) || nameoff >= size_strings)
                return "property outside the blob";
            const char *name = (const char *)base + off_strings + nameoff;
            set_prop(&stack[depth], name, s, (int)len);
            s += ALIGN_UP(len, 4);
        } else if (token == FDT_NOP) {
            continue;
        } else if (token == FDT_END) {
            break;
        } else {
            return "unknown token in the structure block";
        }
    }

    /* Resolve what refers to other nodes by phandle. */
    for (int off = 0; state.plic_ie && off + 8 <= state.plic_ie_len; off += 8) {
        uint32_t phandle = be32(state.plic_ie + off), irq = be32(state.plic_ie + off + 4);
        if (irq != 9) /* the supervisor external interrupt */
            continue;
        for (unsigned h = 0; h < p->num_harts; h++)
            if (state.cpu_intc_phandle[h] == phandle)
                p->plic_context[h] = off / 8;
    }
    for (unsigned i = 0; i < state.num_uarts; i++) {
        if (!p->has_uart || !strcmp(state.uarts[i].path, state.stdout_path)) {
            p->has_uart = true;
            p->uart_base = state.uarts[i].base;
            p->uart_irq = state.uarts[i].irq;
            p->uart_reg_shift = state.uarts[i].shift;
            p->uart_reg_width = state.uarts[i].width;
        }
    }
    if (state.has_poweroff) {
        for (unsigned i = 0; i < state.num_phandles; i++) {
            if (state.phandles[i].phandle == state.poweroff_regmap) {
                p->has_poweroff = true;
                p->poweroff_addr = state.phandles[i].base + state.poweroff_offset;
                p->poweroff_value = state.poweroff_value;
            }
        }
    }

    if (!p->num_memory)
        return "no memory node";
    if (!p->num_harts)
        return "no cpu nodes";
    if (!p->timebase_frequency)
        return "no timebase-frequency";
    if (!p->plic_base)
        return "no PLIC";
    return NULL;
}
