"""`python -m vault03_email`: run the email worker."""

from functools import partial

from vault03_common.events import Channel
from vault03_common.logging import configure_logging
from vault03_common.runtime import Worker, run_worker
from vault03_email.handler import handle
from vault03_email.settings import EmailSettings
from vault03_email.sink import EmailSink

settings = EmailSettings()
configure_logging(service="email", level=settings.log_level, log_file=settings.log_file)
client = EmailSink(settings.sink_dir / "email")
run_worker(
    Worker(
        channel=Channel.EMAIL,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
    )
)
