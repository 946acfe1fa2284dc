"""The only code that builds and sends mail: rendering, transports, the sending pipeline, the outbox."""

from crm.extensions import Feature, Job, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l
from crm.mail import cli, dkim, jobs, views

feature = Feature(
    name="mail",
    blueprints=[views.bp],
    commands=[cli.mail_cli],
    nav=[NavItem("mail.index", _l("Boîte d'envoi"), order=90)],
    jobs=[
        Job("dispatch", jobs.dispatch, lambda config: {"seconds": config["SCHEDULER_TICK_SECONDS"]}),
        Job("retry_deliveries", jobs.retry_deferred, {"minutes": 5}),
    ],
    privacy=[PrivacyTable("deliveries", "Courriels envoyés")],
    setup=lambda app: dkim.check_settings(app.config),
)
