"""The names C already uses, that the glue's names must not take.

The glue defines names at file scope in every component (its functions,
variables, types, enum constants and macros, named after ports, devices,
procedures and types), and declares locals and parameters named after a
procedure's parameters.  A name that C or its library already gives meaning
to breaks the build, often far from its cause: a dataport called 'time'
collides with time() once the component includes <time.h>, a parameter
called 'default' is a keyword, a field called 'errno' is a macro.

LIBRARY and LIBRARY_MACROS are what picolibc's standard headers declare with
-std=c11, as components are compiled (the library's own '_' names aside):
each name under the first header, in the order below, that declares it.
They were found by compiling, after each header, 'static int NAME;' for
every identifier the headers mention (an error means the name is taken) and
adding the header's function-like macros (for LIBRARY_MACROS: its
upper-case macros with an underscore, the shape of the glue's macros).
"""

# C11's keywords, and C23's (gcc moves on; names that become keywords break then).
KEYWORDS = set("""
    auto break case char const continue default do double else enum extern float for goto if inline int long
    register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
    while alignas alignof bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual
""".split())

# Prefixes that belong to others: the C library ('_'), libsel ('sel_'), the generated glue ('glue_').
RESERVED_PREFIXES = ("_", "sel_", "glue_")

# Object-like macros in lower case: they replace the name wherever it stands, a struct field or a
# parameter too.
OBJECT_MACROS = set("""
    alignas alignof and and_eq bitand bitor bool compl complex errno false math_errhandling noreturn not
    not_eq or or_eq static_assert true xor xor_eq
""".split())

# The library's types: a parameter of that name would hide the type from the glue beside it.
TYPES = set("""
    atomic_bool atomic_char atomic_char16_t atomic_char32_t atomic_flag atomic_int atomic_int_fast16_t
    atomic_int_fast32_t atomic_int_fast64_t atomic_int_fast8_t atomic_int_least16_t atomic_int_least32_t
    atomic_int_least64_t atomic_int_least8_t atomic_intmax_t atomic_intptr_t atomic_llong atomic_long
    atomic_ptrdiff_t atomic_schar atomic_short atomic_size_t atomic_uchar atomic_uint atomic_uint_fast16_t
    atomic_uint_fast32_t atomic_uint_fast64_t atomic_uint_fast8_t atomic_uint_least16_t
    atomic_uint_least32_t atomic_uint_least64_t atomic_uint_least8_t atomic_uintmax_t atomic_uintptr_t
    atomic_ullong atomic_ulong atomic_ushort atomic_wchar_t blkcnt_t blksize_t caddr_t clock_t clockid_t
    daddr_t dev_t div_t double_t error_t fenv_t fexcept_t float_t fp_except fp_rdi fp_rnd fpos_t fsblkcnt_t
    fsfilcnt_t gid_t id_t ieee_ext ieee_ext_u imaxdiv_t ino_t int16_t int32_t int64_t int8_t int_fast16_t
    int_fast32_t int_fast64_t int_fast8_t int_least16_t int_least32_t int_least64_t int_least8_t intmax_t
    intptr_t jmp_buf key_t ldiv_t lldiv_t max_align_t mbstate_t memory_order mode_t nlink_t off_t pid_t
    ptrdiff_t register_t sbintime_t sig_atomic_t sigset_t size_t ssize_t stack_t suseconds_t time_t timer_t
    u_int16_t u_int32_t u_int64_t u_int8_t uid_t uint16_t uint32_t uint64_t uint8_t uint_fast16_t
    uint_fast32_t uint_fast64_t uint_fast8_t uint_least16_t uint_least32_t uint_least64_t uint_least8_t
    uintmax_t uintptr_t useconds_t va_list wchar_t wctrans_t wctype_t wint_t
""".split())

LIBRARY = {
    "stddef.h": """
        max_align_t offsetof ptrdiff_t size_t wchar_t""",
    "stdint.h": """
        int16_t int32_t int64_t int8_t int_fast16_t int_fast32_t int_fast64_t int_fast8_t int_least16_t
        int_least32_t int_least64_t int_least8_t intmax_t intptr_t uint16_t uint32_t uint64_t uint8_t
        uint_fast16_t uint_fast32_t uint_fast64_t uint_fast8_t uint_least16_t uint_least32_t uint_least64_t
        uint_least8_t uintmax_t uintptr_t""",
    "stdbool.h": """
        bool false true""",
    "stdarg.h": """
        va_arg va_copy va_end va_list va_start""",
    "errno.h": """
        errno error_t""",
    "stdio.h": """
        asprintf clearerr clearerror fclose fdev_close fdev_setup_stream fdevopen fdopen feof ferror fflush
        fgetc fgetpos fgets fileno fmemopen fopen fpos_t fprintf fputc fputs fread freopen fscanf fseek
        fseeko fsetpos ftell ftello fwrite getc getchar gets imaxabs imaxdiv imaxdiv_t perror printf
        printf_float putc putchar puts remove rename rewind scanf setbuf setbuffer setlinebuf setvbuf
        snprintf sprintf sscanf stderr stdin stdout strtoimax strtoumax tmpfile tmpnam ungetc vasprintf
        vfprintf vfscanf vprintf vscanf vsnprintf vsprintf vsscanf wcstoimax wcstoumax wint_t""",
    "stdlib.h": """
        abort abs aligned_alloc at_quick_exit atexit atof atoi atol atoll bsearch calloc div div_t exit free
        getenv labs ldiv ldiv_t llabs lldiv lldiv_t malloc mblen mbstowcs mbtowc qsort quick_exit rand
        realloc srand strfromd strfromf strfroml strtod strtof strtol strtold strtoll strtoul strtoull
        system valloc wcstombs wctomb""",
    "string.h": """
        memchr memcmp memcpy memmove memset strcat strchr strcmp strcoll strcpy strcspn strerror strlen
        strncat strncmp strncpy strpbrk strrchr strspn strstr strtok strxfrm""",
    "ctype.h": """
        isalnum isalpha isblank iscntrl isdigit isgraph islower isprint ispunct isspace isupper isxdigit
        tolower toupper""",
    "time.h": """
        asctime asctime_r blkcnt_t blksize_t caddr_t clock clock_t clockid_t ctime ctime_r daddr_t dev_t
        difftime fsblkcnt_t fsfilcnt_t gid_t gmtime gmtime_r id_t ino_t key_t localtime localtime_r mktime
        mode_t nlink_t off_t pid_t register_t sbintime_t ssize_t strftime suseconds_t time time_t timer_t
        u_int16_t u_int32_t u_int64_t u_int8_t uid_t useconds_t""",
    "math.h": """
        acos acosf acosh acoshf acoshl acosl asin asinf asinh asinhf asinhl asinl atan atan2 atan2f atan2l
        atanf atanh atanhf atanhl atanl cbrt cbrtf cbrtl ceil ceilf ceill copysign copysignf copysignl cos
        cosf cosh coshf coshl cosl double_t erf erfc erfcf erfcl erff erfl exp exp2 exp2f exp2l expf expl
        expm1 expm1f expm1l fabs fabsf fabsl fdim fdimf fdiml float_t floor floorf floorl fma fmaf fmal fmax
        fmaxf fmaxl fmin fminf fminl fmod fmodf fmodl fp_except fp_rdi fp_rnd fpclassify fpgetmask
        fpgetround fpgetroundtoi fpgetsticky fpsetmask fpsetround fpsetroundtoi fpsetsticky frexp frexpf
        frexpl gamma gammaf gammal getpayload getpayloadf getpayloadl hypot hypotf hypotl ieee_ext
        ieee_ext_u ilogb ilogbf ilogbl infinity infinityf iseqsig isfinite isfinitef isgreater
        isgreaterequal isinf isinff isless islessequal islessgreater isnan isnanf isnormal isnormalf
        issignaling issubnormal isunordered iszero iszerof j0l j1l jnl ldexp ldexpf ldexpl lgamma lgammaf
        lgammal llrint llrintf llrintl llround llroundf llroundl log log10 log10f log10l log1p log1pf log1pl
        log2 log2f log2l logb logbf logbl logf logl lrint lrintf lrintl lround lroundf lroundl
        math_errhandling modf modff modfl nan nanf nanl nearbyint nearbyintf nearbyintl nextafter nextafterf
        nextafterl nexttoward nexttowardf nexttowardl pow powf powl remainder remainderf remainderl remquo
        remquof remquol rint rintf rintl round roundf roundl scalb scalbf scalbl scalbln scalblnf scalblnl
        scalbn scalbnf scalbnl signbit significand significandf significandl sin sinf sinh sinhf sinhl sinl
        sqrt sqrtf sqrtl tan tanf tanh tanhf tanhl tanl tgamma tgammaf tgammal trunc truncf truncl y0l y1l
        ynl""",
    "assert.h": """
        assert static_assert""",
    "setjmp.h": """
        jmp_buf longjmp setjmp""",
    "signal.h": """
        psignal raise sig_atomic_t signal sigset_t stack_t""",
    "locale.h": """
        localeconv setlocale""",
    "fenv.h": """
        feclearexcept fedisableexcept feenableexcept fegetenv fegetexcept fegetexceptflag fegetround
        feholdexcept fenv_t feraiseexcept fesetenv fesetexceptflag fesetround fetestexcept feupdateenv
        fexcept_t""",
    "complex.h": """
        cabs cabsf cabsl cacos cacosf cacosh cacoshf cacoshl cacosl carg cargf cargl casin casinf casinh
        casinhf casinhl casinl catan catanf catanh catanhf catanhl catanl ccos ccosf ccosh ccoshf ccoshl
        ccosl cexp cexpf cexpl cimag cimagf cimagl clog clogf clogl conj conjf conjl cpow cpowf cpowl cproj
        cprojf cprojl creal crealf creall csin csinf csinh csinhf csinhl csinl csqrt csqrtf csqrtl ctan
        ctanf ctanh ctanhf ctanhl ctanl""",
    "wchar.h": """
        btowc fgetwc fgetws fputwc fputws fwide fwprintf fwscanf getwc getwchar mbrlen mbrtowc mbsinit
        mbsrtowcs mbstate_t putwc putwchar swprintf swscanf ungetwc vfwprintf vfwscanf vswprintf vswscanf
        vwprintf vwscanf wcrtomb wcscat wcschr wcscmp wcscoll wcscpy wcscspn wcsftime wcslcat wcslcpy wcslen
        wcsncat wcsncmp wcsncpy wcspbrk wcsrchr wcsrtombs wcsspn wcsstr wcstod wcstof wcstok wcstol wcstold
        wcstoll wcstoul wcstoull wcsxfrm wctob wmemchr wmemcmp wmemcpy wmemmove wmemset wprintf wscanf""",
    "wctype.h": """
        iswalnum iswalpha iswblank iswcntrl iswctype iswdigit iswgraph iswlower iswprint iswpunct iswspace
        iswupper iswxdigit towctrans towlower towupper wctrans wctrans_t wctype wctype_t""",
    "iso646.h": """
        and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq""",
    "stdalign.h": """
        alignas alignof""",
    "stdatomic.h": """
        atomic_bool atomic_char atomic_char16_t atomic_char32_t atomic_compare_exchange_strong
        atomic_compare_exchange_strong_explicit atomic_compare_exchange_weak
        atomic_compare_exchange_weak_explicit atomic_exchange atomic_exchange_explicit atomic_fetch_add
        atomic_fetch_add_explicit atomic_fetch_and atomic_fetch_and_explicit atomic_fetch_or
        atomic_fetch_or_explicit atomic_fetch_sub atomic_fetch_sub_explicit atomic_fetch_xor
        atomic_fetch_xor_explicit atomic_flag atomic_flag_clear atomic_flag_clear_explicit
        atomic_flag_test_and_set atomic_flag_test_and_set_explicit atomic_init atomic_int
        atomic_int_fast16_t atomic_int_fast32_t atomic_int_fast64_t atomic_int_fast8_t atomic_int_least16_t
        atomic_int_least32_t atomic_int_least64_t atomic_int_least8_t atomic_intmax_t atomic_intptr_t
        atomic_is_lock_free atomic_llong atomic_load atomic_load_explicit atomic_long atomic_ptrdiff_t
        atomic_schar atomic_short atomic_signal_fence atomic_size_t atomic_store atomic_store_explicit
        atomic_thread_fence atomic_uchar atomic_uint atomic_uint_fast16_t atomic_uint_fast32_t
        atomic_uint_fast64_t atomic_uint_fast8_t atomic_uint_least16_t atomic_uint_least32_t
        atomic_uint_least64_t atomic_uint_least8_t atomic_uintmax_t atomic_uintptr_t atomic_ullong
        atomic_ulong atomic_ushort atomic_wchar_t kill_dependency memory_order memory_order_acq_rel
        memory_order_acquire memory_order_consume memory_order_relaxed memory_order_release
        memory_order_seq_cst""",
    "stdnoreturn.h": """
        noreturn""",
}

LIBRARY_MACROS = {
    "stdint.h": """
        ATOMIC_UNGETC FAST_STRCMP INT16_C INT16_MAX INT16_MIN INT32_C INT32_MAX INT32_MIN INT64_C INT64_MAX
        INT64_MIN INT8_C INT8_MAX INT8_MIN INTMAX_C INTMAX_MAX INTMAX_MIN INTPTR_MAX INTPTR_MIN
        INT_FAST16_MAX INT_FAST16_MIN INT_FAST32_MAX INT_FAST32_MIN INT_FAST64_MAX INT_FAST64_MIN
        INT_FAST8_MAX INT_FAST8_MIN INT_LEAST16_MAX INT_LEAST16_MIN INT_LEAST32_MAX INT_LEAST32_MIN
        INT_LEAST64_MAX INT_LEAST64_MIN INT_LEAST8_MAX INT_LEAST8_MIN NEWLIB_TLS PICOLIBC_TLS POSIX_IO
        PREFER_SIZE_OVER_SPEED PTRDIFF_MAX PTRDIFF_MIN SIG_ATOMIC_MAX SIG_ATOMIC_MIN SIZE_MAX TINY_STDIO
        UINT16_C UINT16_MAX UINT32_C UINT32_MAX UINT64_C UINT64_MAX UINT8_C UINT8_MAX UINTMAX_C UINTMAX_MAX
        UINTPTR_MAX UINT_FAST16_MAX UINT_FAST32_MAX UINT_FAST64_MAX UINT_FAST8_MAX UINT_LEAST16_MAX
        UINT_LEAST32_MAX UINT_LEAST64_MAX UINT_LEAST8_MAX WCHAR_MAX WCHAR_MIN WINT_MAX WINT_MIN""",
    "errno.h": """
        DBL_DECIMAL_DIG DBL_DIG DBL_EPSILON DBL_HAS_SUBNORM DBL_MANT_DIG DBL_MAX DBL_MAX_10_EXP DBL_MAX_EXP
        DBL_MIN DBL_MIN_10_EXP DBL_MIN_EXP DBL_TRUE_MIN DECIMAL_DIG FLT_DECIMAL_DIG FLT_DIG FLT_EPSILON
        FLT_EVAL_METHOD FLT_HAS_SUBNORM FLT_MANT_DIG FLT_MAX FLT_MAX_10_EXP FLT_MAX_EXP FLT_MIN
        FLT_MIN_10_EXP FLT_MIN_EXP FLT_RADIX FLT_ROUNDS FLT_TRUE_MIN LDBL_DECIMAL_DIG LDBL_DIG LDBL_EPSILON
        LDBL_HAS_SUBNORM LDBL_MANT_DIG LDBL_MAX LDBL_MAX_10_EXP LDBL_MAX_EXP LDBL_MIN LDBL_MIN_10_EXP
        LDBL_MIN_EXP LDBL_TRUE_MIN NEWLIB_THREAD_LOCAL NEWLIB_THREAD_LOCAL_ERRNO""",
    "stdio.h": """
        FDEV_SETUP_CLOSE FDEV_SETUP_EXT FDEV_SETUP_STREAM L_tmpnam PICOLIBC_STDIO_GLOBALS P_tmpdir SEEK_CUR
        SEEK_END SEEK_SET TMP_MAX""",
    "stdlib.h": """
        ATEXIT_MAX EXIT_FAILURE EXIT_SUCCESS MB_CUR_MAX RAND_MAX""",
    "ctype.h": """
        ARG_MAX BC_BASE_MAX BC_DIM_MAX BC_SCALE_MAX BC_STRING_MAX CHAR_BIT CHAR_MAX CHAR_MIN CHILD_MAX
        COLL_WEIGHTS_MAX EXPR_NEST_MAX INT_MAX INT_MIN IOV_MAX LINE_MAX LINK_MAX LLONG_MAX LLONG_MIN
        LONG_MAX LONG_MIN MAX_CANON MAX_INPUT MB_LEN_MAX NAME_MAX NGROUPS_MAX NL_ARGMAX OPEN_MAX PATH_MAX
        PIPE_BUF RE_DUP_MAX SCHAR_MAX SCHAR_MIN SHRT_MAX SHRT_MIN UCHAR_MAX UINT_MAX ULLONG_MAX ULONG_MAX
        USHRT_MAX""",
    "time.h": """
        CLK_TCK CLOCKS_PER_SEC CLOCK_ALLOWED CLOCK_DISABLED CLOCK_DISALLOWED CLOCK_ENABLED CLOCK_REALTIME
        TIMER_ABSTIME""",
    "math.h": """
        EXT_EXPBITS EXT_EXP_BIAS EXT_EXP_INFNAN EXT_FRACBITS EXT_FRACHBITS EXT_FRACLBITS FP_ILOGB0
        FP_ILOGBNAN FP_INFINITE FP_NAN FP_NORMAL FP_RDI_RD FP_RDI_TOZ FP_RM FP_RN FP_RP FP_RZ FP_SUBNORMAL
        FP_X_DX FP_X_IMP FP_X_INV FP_X_OFL FP_X_UFL FP_ZERO HUGE_VAL HUGE_VALF HUGE_VALL MATH_ERREXCEPT
        MATH_ERRNO""",
    "signal.h": """
        SA_NOCLDSTOP SIG_DFL SIG_ERR SIG_IGN""",
    "locale.h": """
        LC_ALL LC_COLLATE LC_CTYPE LC_MESSAGES LC_MONETARY LC_NUMERIC LC_TIME""",
    "fenv.h": """
        FE_ALL_EXCEPT FE_DFL_ENV FE_TONEAREST""",
    "stdatomic.h": """
        ATOMIC_BOOL_LOCK_FREE ATOMIC_CHAR16_T_LOCK_FREE ATOMIC_CHAR32_T_LOCK_FREE ATOMIC_CHAR_LOCK_FREE
        ATOMIC_FLAG_INIT ATOMIC_INT_LOCK_FREE ATOMIC_LLONG_LOCK_FREE ATOMIC_LONG_LOCK_FREE
        ATOMIC_POINTER_LOCK_FREE ATOMIC_SHORT_LOCK_FREE ATOMIC_VAR_INIT ATOMIC_WCHAR_T_LOCK_FREE""",
}


LIBRARY_HEADER = {name: header for header, names in LIBRARY.items() for name in names.split()}
LIBRARY_MACRO_HEADER = {name: header for header, names in LIBRARY_MACROS.items() for name in names.split()}


def file_scope_problem(name):
    """Why name cannot be a name the glue defines at file scope (a function, variable or type), or None."""
    if name in KEYWORDS:
        return "is a C keyword"
    if name in LIBRARY_HEADER:
        return f"is declared by the C library (<{LIBRARY_HEADER[name]}>)"
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        owner = {"_": "the C library", "sel_": "libsel", "glue_": "the generated glue"}[prefix]
        return f"begins with '{prefix}', which {owner} reserves"
    return None


def macro_problem(name):
    """Why NAME cannot be a macro or enum constant of the glue (upper case), or None."""
    if name in LIBRARY_MACRO_HEADER:
        return f"is a macro of the C library (<{LIBRARY_MACRO_HEADER[name]}>)"
    if name.startswith(("SEL_", "GLUE_", "_")):
        return f"begins with '{name.split('_')[0] + '_' if not name.startswith('_') else '_'}', which is reserved"
    return None


def member_problem(name):
    """Why name cannot be a struct field, or None: fields have a namespace of their own, but keywords and
    object-like macros are replaced wherever they stand."""
    if name in KEYWORDS:
        return "is a C keyword"
    if name in OBJECT_MACROS:
        return "is a macro of the C library"
    return None


def local_problem(name):
    """Why name cannot be a parameter (a local of the glue's stubs and handlers too), or None."""
    problem = member_problem(name)
    if problem:
        return problem
    if name in TYPES:
        return "is a type of the C library"
    if name in ("memcpy", "memset"):
        return "is a function the glue calls beside it"
    if name.startswith(RESERVED_PREFIXES):
        return f"begins with '{next(p for p in RESERVED_PREFIXES if name.startswith(p))}', which is reserved"
    return None
