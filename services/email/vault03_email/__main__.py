"""`python -m vault03_email`: run the email worker."""

from functools import partial

from vault03_common.events import Channel
from vault03_common.logging import configure_logging
from vault03_common.runtime import Worker, run_worker
from vault03_email.handler import handle, make_sender
from vault03_email.settings import EmailSettings

settings = EmailSettings()
configure_logging(service="email", level=settings.log_level, log_file=settings.log_file)
client = make_sender(settings)
run_worker(
    Worker(
        channel=Channel.EMAIL,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
        on_stop=[client.aclose],
    )
)
