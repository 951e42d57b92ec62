"""The task ledger (预安销号) and schedule progress (时序进度) as the ``tasks`` source.

One module per stage, each importing only those before it:

- :mod:`~evalkit.sources.tasks.months` — month numbers within a period, row-level errors
  (shared by both tables);
- :mod:`~evalkit.sources.tasks.config` — the ``sources.tasks`` section and its ``progress``
  subsection: defaults and checks;
- :mod:`~evalkit.sources.tasks.read` — reading and checking the ledger;
- :mod:`~evalkit.sources.tasks.progress` — key projects' traffic lights, red flags, yellow
  cards;
- :mod:`~evalkit.sources.tasks.section` — the unit report's section;
- :mod:`~evalkit.sources.tasks.ledger` — the ledger arithmetic and the ``tasks`` source
  (importing it registers the source).

The demo city's ledger and project progress are generated in :mod:`evalkit.demo.tasks`.
"""

from evalkit.sources.tasks.config import (
    PROGRESS_DEFAULTS,
    TASKS_DEFAULTS,
    validate_progress,
    validate_tasks,
)
from evalkit.sources.tasks.ledger import Ledger, summarise_ledger, tasks_source, zone_summary
from evalkit.sources.tasks.months import month_numbers, quote_rows
from evalkit.sources.tasks.progress import (
    POINTS_COLUMNS,
    progress_records,
    read_progress,
    red_flags,
    schedule_status,
    yellow_cards,
)
from evalkit.sources.tasks.read import read_ledger
from evalkit.sources.tasks.section import (
    TasksSection,
    latest_progress,
    monthly_chart,
    report_section,
)

__all__ = [
    "POINTS_COLUMNS", "PROGRESS_DEFAULTS", "TASKS_DEFAULTS", "Ledger", "TasksSection",
    "latest_progress", "month_numbers", "monthly_chart", "progress_records", "quote_rows",
    "read_ledger", "read_progress", "red_flags", "report_section", "schedule_status",
    "summarise_ledger", "tasks_source", "validate_progress", "validate_tasks", "yellow_cards",
    "zone_summary",
]
