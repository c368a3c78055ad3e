"""One copy of what the customers' helpers each wrote: the value-class labels, the links to
customer pages, the plan-calls command beside customer-classes."""

import pytest

from portal.customers import call_views, calls, classes, links, search_views
from portal.rules import RuleError


def test_one_set_of_value_class_codes_and_labels():
    assert set(calls.CLASS_ORDER) == set(classes.CLASSES)
    assert search_views.value_classes() is classes.CLASSES
    assert not hasattr(call_views, "CLASS_LABELS")


def test_a_call_label_is_the_classes_label(app):
    with app.test_request_context():
        assert call_views.class_label("important_value") in ("Important value", "重要价值")
        assert call_views.class_label(None) == ""


def test_a_plan_takes_only_real_class_codes(create_user):
    supervisor_user = create_user("supervisor")
    with pytest.raises(RuleError) as refused:
        calls.save_plan(supervisor_user, None, None, name="关怀", kind="care", days=30,
                        max_tries=3, windows="10:00-11:30", pool_role="aftersales",
                        script_hint="", customer_kind=None, value_classes="important_vip",
                        active=True)
    assert refused.value.field == "value_classes"


def test_one_link_helper_for_every_template(app):
    with app.test_request_context():
        assert app.jinja_env.globals["customer_url"] is links.customer_url
        assert "customers_url" not in app.jinja_env.globals
        assert links.customer_url(7).endswith("/customers/7")


def test_the_plan_command_sits_beside_the_class_command(app):
    from portal.cli import portal_cli

    assert {"plan-calls", "customer-classes"} <= set(portal_cli.commands)
    assert "calls" not in app.cli.commands
