/*
 * socket_protocol.h (hand-written, commented, used by the socket layer)
 * against what codegen declares from idl/socket.yaml (socket_idl.h, made
 * by idl_types.py under an idl_ prefix): the same fields at the same
 * offsets with the same sizes, the same enum values, the same struct sizes.
 * So a <component.h> generated from the idl and this header can be
 * included together, whichever comes first.
 */
#include "socket_protocol.h"
#include "socket_idl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define SAME_FIELD(ours, theirs, field)                                                       \
    do {                                                                                      \
        assert_int_equal(offsetof(ours, field), offsetof(theirs, field));                     \
        assert_int_equal(sizeof(((ours *)0)->field), sizeof(((theirs *)0)->field));           \
    } while (0);

static void request_agrees_with_the_idl(void **state)
{
    (void)state;
#define REQUEST_FIELD(f) SAME_FIELD(socket_request_t, idl_socket_request_t, f)
    IDL_SOCKET_REQUEST_FIELDS(REQUEST_FIELD)
    assert_int_equal(sizeof(socket_request_t), sizeof(idl_socket_request_t));
}

static void completion_agrees_with_the_idl(void **state)
{
    (void)state;
#define COMPLETION_FIELD(f) SAME_FIELD(socket_completion_t, idl_socket_completion_t, f)
    IDL_SOCKET_COMPLETION_FIELDS(COMPLETION_FIELD)
    assert_int_equal(sizeof(socket_completion_t), sizeof(idl_socket_completion_t));
}

static void ops_agree_with_the_idl(void **state)
{
    (void)state;
#define SAME_OP(v) assert_int_equal(SOCKET_OP_##v, IDL_SOCKET_OP_##v);
    IDL_SOCKET_OP_VALUES(SAME_OP)
    assert_int_equal(SOCKET_OP_UDP_SEND + 1, IDL_SOCKET_OP_COUNT);
    assert_int_equal(sizeof(socket_op_t), sizeof(idl_socket_op_t));
}

static void statuses_agree_with_the_idl(void **state)
{
    (void)state;
#define SAME_STATUS(v) assert_int_equal(SOCKET_STATUS_##v, IDL_SOCKET_STATUS_##v);
    IDL_SOCKET_STATUS_VALUES(SAME_STATUS)
    assert_int_equal(SOCKET_STATUS_CANCELLED + 1, IDL_SOCKET_STATUS_COUNT);
    assert_int_equal(sizeof(socket_status_t), sizeof(idl_socket_status_t));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_agrees_with_the_idl),
        cmocka_unit_test(completion_agrees_with_the_idl),
        cmocka_unit_test(ops_agree_with_the_idl),
        cmocka_unit_test(statuses_agree_with_the_idl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
