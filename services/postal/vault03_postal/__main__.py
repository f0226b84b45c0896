"""`python -m vault03_postal`: run the postal worker."""

from functools import partial

from vault03_common.events import Channel
from vault03_common.logging import configure_logging
from vault03_common.runtime import Worker, run_worker
from vault03_postal.handler import handle, make_sender
from vault03_postal.settings import PostalSettings

settings = PostalSettings()
configure_logging(service="postal", level=settings.log_level, log_file=settings.log_file)
client = make_sender(settings)
run_worker(
    Worker(
        channel=Channel.POSTAL,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )
)
