/*
 * Names: UTF-8 paths to the UTF-16 of long-name entries and back, case
 * folding for comparisons, and 8.3 names: showing them, their checksum,
 * and making one for a long name (the basis with a ~N tail, as Windows
 * does it: upper case, leading dots and spaces gone, characters 8.3
 * forbids or cannot hold turned into '_').
 */
#include "fat_internal.h"

/* Characters a long name may not hold (besides controls below 0x20). */
static bool long_forbidden(uint32_t c)
{
    return c < 0x20 || c == 0x7F || c == '"' || c == '*' || c == '/' || c == ':' || c == '<' || c == '>' ||
           c == '?' || c == '\\' || c == '|';
}

/* Characters an 8.3 name may hold, besides A-Z and 0-9. */
static bool short_special(uint16_t c)
{
    switch (c) {
    case '$': case '%': case '\'': case '-': case '_': case '@': case '~': case '`': case '!':
    case '(': case ')': case '{': case '}': case '^': case '#': case '&':
        return true;
    default:
        return false;
    }
}

int name_from_utf8(const char *s, size_t len, uint16_t *out, size_t *out_len)
{
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    size_t n = 0;
    if (len == 0)
        return FAT_INVALID;
    while (p < end) {
        uint32_t c = *p++, need, min;
        if (c < 0x80) {
            need = 0, min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            c &= 0x1F, need = 1, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            c &= 0x0F, need = 2, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            c &= 0x07, need = 3, min = 0x10000;
        } else {
            return FAT_INVALID;
        }
        if ((size_t)(end - p) < need)
            return FAT_INVALID;
        for (uint32_t i = 0; i < need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return FAT_INVALID;
            c = c << 6 | (p[i] & 0x3F);
        }
        p += need;
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) || long_forbidden(c))
            return FAT_INVALID;
        unsigned units = c >= 0x10000 ? 2 : 1;
        if (n + units > FAT_NAME_MAX)
            return FAT_NAME_TOO_LONG;
        if (units == 2) {
            out[n++] = (uint16_t)(0xD800 + ((c - 0x10000) >> 10));
            out[n++] = (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            out[n++] = (uint16_t)c;
        }
    }
    /* "." and "..", and names ending in a dot or a space (Windows would silently drop those) */
    if (out[n - 1] == '.' || out[n - 1] == ' ')
        return FAT_INVALID;
    *out_len = n;
    return FAT_OK;
}

size_t name_to_utf8(const uint16_t *s, size_t len, char *out)
{
    uint8_t *o = (uint8_t *)out;
    for (size_t i = 0; i < len; i++) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < len && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            *o++ = (uint8_t)c;
        } else if (c < 0x800) {
            *o++ = (uint8_t)(0xC0 | c >> 6);
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *o++ = (uint8_t)(0xE0 | c >> 12);
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        } else {
            *o++ = (uint8_t)(0xF0 | c >> 18);
            *o++ = (uint8_t)(0x80 | (c >> 12 & 0x3F));
            *o++ = (uint8_t)(0x80 | (c >> 6 & 0x3F));
            *o++ = (uint8_t)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    return (size_t)(o - (uint8_t *)out);
}

uint16_t name_upcase(uint16_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? (uint16_t)(c - 32) : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)       /* Latin-1 */
        return (uint16_t)(c - 32);
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x100 && c <= 0x17F) {                 /* Latin Extended-A: pairs, upper case first */
        bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        return (c & 1) == (odd_upper ? 0 : 1) ? (uint16_t)(c - 1) : c;
    }
    if (c >= 0x3B1 && c <= 0x3C9)                   /* Greek */
        return c == 0x3C2 ? 0x3A3 : (uint16_t)(c - 32);
    if (c >= 0x430 && c <= 0x44F)                   /* Cyrillic */
        return (uint16_t)(c - 32);
    if (c >= 0x450 && c <= 0x45F)
        return (uint16_t)(c - 80);
    return c;
}

void name_upcase_all(uint16_t *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        s[i] = name_upcase(s[i]);
}

bool name_equal(const uint16_t *a, size_t a_len, const uint16_t *b_upper, size_t b_len)
{
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++)
        if (upcase(a[i]) != b_upper[i])
            return false;
    return true;
}

size_t short_name_show(const uint8_t raw[11], uint8_t case_bits, uint16_t *out)
{
    size_t n = 0, base = 8, ext = 3;
    while (base && raw[base - 1] == ' ')
        base--;
    while (ext && raw[8 + ext - 1] == ' ')
        ext--;
    for (size_t i = 0; i < base + ext; i++) {
        if (i == base)
            out[n++] = '.';
        uint16_t c = raw[i < base ? i : 8 + (i - base)];
        if (i == 0 && c == 0x05)                    /* a name starting with 0xE5 is stored as 0x05 */
            c = 0xE5;
        if (c >= 'A' && c <= 'Z' && (case_bits & (i < base ? CASE_LOWER_BASE : CASE_LOWER_EXT)))
            c = (uint16_t)(c + 32);
        out[n++] = c;
    }
    return n;
}

uint8_t short_name_checksum(const uint8_t raw[11])
{
    uint8_t sum = 0;
    for (int i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + raw[i]);
    return sum;
}

bool short_name_exact(const uint16_t *name, size_t len, uint8_t raw[11], uint8_t *case_bits)
{
    size_t dot = len;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.') {
            if (dot != len)
                return false;           /* two dots */
            dot = i;
        }
    size_t base = dot, ext = dot == len ? 0 : len - dot - 1;
    if (base == 0 || base > 8 || ext > 3 || (dot != len && ext == 0))
        return false;
    memset(raw, ' ', 11);
    *case_bits = 0;
    bool lower[2] = { false, false }, upper[2] = { false, false };
    for (size_t i = 0; i < len; i++) {
        if (i == dot)
            continue;
        uint16_t c = name[i];
        int part = i > dot;
        if (c >= 'a' && c <= 'z') {
            lower[part] = true;
            c = (uint16_t)(c - 32);
        } else if (c >= 'A' && c <= 'Z') {
            upper[part] = true;
        } else if (!(c >= '0' && c <= '9') && !short_special(c)) {
            return false;
        }
        raw[part ? 8 + (i - dot - 1) : i] = (uint8_t)c;
    }
    if ((lower[0] && upper[0]) || (lower[1] && upper[1]))
        return false;               /* mixed case needs a long name to keep it */
    *case_bits = (uint8_t)((lower[0] ? CASE_LOWER_BASE : 0) | (lower[1] ? CASE_LOWER_EXT : 0));
    return true;
}

void short_name_basis(const uint16_t *name, size_t len, uint8_t raw[11], size_t *base_len)
{
    memset(raw, ' ', 11);
    size_t start = 0, last_dot = len;
    while (start < len && (name[start] == '.' || name[start] == ' '))
        start++;
    for (size_t i = start; i < len; i++)
        if (name[i] == '.')
            last_dot = i;
    size_t n = 0;
    for (size_t i = start; i < len; i++) {
        if (i == last_dot)
            break;
        if (name[i] == ' ' || name[i] == '.')
            continue;
        uint16_t c = name_upcase(name[i]);
        if (n < 8)
            raw[n++] = (uint8_t)((c < 0x80 && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || short_special(c)))
                                 ? c : '_');
    }
    if (n == 0)
        raw[n++] = '_';
    *base_len = n;
    size_t e = 0;
    for (size_t i = last_dot + 1; i < len && e < 3; i++) {
        if (name[i] == ' ')
            continue;
        uint16_t c = name_upcase(name[i]);
        raw[8 + e++] = (uint8_t)((c < 0x80 && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || short_special(c)))
                                 ? c : '_');
    }
}

void short_name_tail(const uint8_t basis[11], size_t base_len, uint32_t n, uint8_t out[11])
{
    char digits[10];
    size_t d = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n && d < sizeof digits);
    size_t keep = 8 - (d + 1) < base_len ? 8 - (d + 1) : base_len;
    memcpy(out, basis, 11);
    memset(out + keep, ' ', 8 - keep);
    out[keep] = '~';
    for (size_t i = 0; i < d; i++)
        out[keep + 1 + i] = (uint8_t)digits[d - 1 - i];
}
