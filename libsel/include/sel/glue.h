/*
 * Support for generated component glue (build/.../component.c): message
 * packing, start-up and failure reports.  Component authors use the
 * generated <component.h>, not this.
 */
#ifndef SEL_GLUE_H
#define SEL_GLUE_H

#include <sel/syscall.h>
#include <stddef.h>
#include <string.h>

/* Copies size bytes of value into message registers starting at *mr (rounding up to words). */
static inline void sel_glue_put(unsigned *mr, const void *value, size_t size)
{
    sel_word_t words[(size + 7) / 8 ? (size + 7) / 8 : 1];
    memset(words, 0, sizeof(words));
    memcpy(words, value, size);
    for (size_t i = 0; i < (size + 7) / 8; i++)
        sel_set_mr((int)(*mr)++, words[i]);
}

/* Copies size bytes from message registers starting at *mr into value. */
static inline void sel_glue_get(unsigned *mr, void *value, size_t size)
{
    sel_word_t words[(size + 7) / 8 ? (size + 7) / 8 : 1];
    for (size_t i = 0; i < (size + 7) / 8; i++)
        words[i] = sel_get_mr((int)(*mr)++);
    memcpy(value, words, size);
}

/* Reports a failure of this component's glue and stops the calling thread. */
_Noreturn void sel_glue_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Label of an rpc reply: 0 is success; this says the request was malformed. */
#define SEL_GLUE_BAD_REQUEST 1

/* Provided by the generated glue. */
void __glue_main(sel_word_t role);
_Noreturn void __glue_exit(int status);
extern const char __glue_component_name[];

#endif
