"""Every table of every capability, imported so that ``Base.metadata`` is whole.

Each package owns its tables in its own ``models.py``; Alembic, the schema test and
anything else that needs the whole schema import this module instead of listing them.
"""

from __future__ import annotations

from geo.accounts import models as accounts
from geo.core import models as core
from geo.dispatch import models as dispatch
from geo.evaluation import models as evaluation
from geo.evaluation import record_models as evaluation_records
from geo.evaluation import summary_models as evaluation_summaries
from geo.grid import models as grid
from geo.party import models as party
from geo.patrol import models as patrol
from geo.planning import models as planning
from geo.public import models as public
from geo.workforce import models as workforce

Base = core.Base
PACKAGES = (
    core,
    grid,
    accounts,
    dispatch,
    planning,
    patrol,
    evaluation_records,
    evaluation,
    evaluation_summaries,
    public,
    party,
    workforce,
)
