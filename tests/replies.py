"""Code Mode replies the scripted model gives in the protocol and editor tests."""


def code_mode(code: str) -> str:
    """A reply that runs code through execute_code, as the trained model writes one."""
    return (
        "<tool_call><function=execute_code><parameter=code>\n"
        f"{code}</parameter></function></tool_call>"
    )


# A type check of src/ and the tests, for findings of both kinds (examples/sample).
CHECK_AND_TEST = code_mode(
    'types = typecheck("src")\n'
    'tests = pytest_run("tests")\n'
    "print(types.error_count, tests.failed)\n"
)
