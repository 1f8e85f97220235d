/* Freestanding string functions (GCC may also emit calls to these). */
#include <kernel/string.h>

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if (((word_t)d & 7) == 0 && (n & 7) == 0) {
        word_t v = (unsigned char)c * 0x0101010101010101ull;
        for (word_t *w = dst; n; n -= 8)
            *w++ = v;
        return dst;
    }
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((word_t)d | (word_t)s | n) & 7) == 0) {
        word_t *dw = dst;
        const word_t *sw = src;
        for (; n; n -= 8)
            *dw++ = *sw++;
        return dst;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}
