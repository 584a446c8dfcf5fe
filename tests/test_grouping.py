"""`make test` hands tests out with --dist loadgroup so that a module marked
xdist_group runs whole on one process (the demo is loaded once per module,
the deployment built once). pytest-xdist 3.8 on pytest 9.2 stopped grouping
without a word (pytest-xdist#1386); this says so if it happens again."""

import pytest

pytestmark = pytest.mark.xdist_group("grouping-check")


def test_a_marked_module_is_handed_out_as_one_group(request):
    if not request.config.getoption("loadgroup", default=False):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@grouping-check")
