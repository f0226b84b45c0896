"""`python -m vault03_notifier`: run the notifier."""

from functools import partial

from vault03_common.events import Channel
from vault03_common.logging import configure_logging
from vault03_common.runtime import Worker, run_worker
from vault03_notifier.handler import handle
from vault03_notifier.settings import NotifierSettings
from vault03_notifier.sink import TelegramSink

settings = NotifierSettings()
configure_logging(service="notifier", level=settings.log_level, log_file=settings.log_file)
client = TelegramSink(settings.sink_dir / "telegram.jsonl")
run_worker(
    Worker(
        channel=Channel.TELEGRAM,
        handler=partial(handle, client=client, settings=settings),
        settings=settings,
    )
)
