"""`python -m vault03_notifier`: run the notifier (deliveries and the Alertmanager webhook)."""

from functools import partial

from vault03_common.events import Channel
from vault03_common.logging import configure_logging
from vault03_common.runtime import Worker, run_worker
from vault03_notifier.alertmanager import alertmanager_routes
from vault03_notifier.handler import handle, make_sender
from vault03_notifier.settings import NotifierSettings

settings = NotifierSettings()
configure_logging(service="notifier", level=settings.log_level, log_file=settings.log_file)
client = make_sender(settings)
run_worker(
    Worker(
        channel=Channel.TELEGRAM,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        routes=alertmanager_routes(client, settings),
        on_stop=[client.aclose],
    )
)
