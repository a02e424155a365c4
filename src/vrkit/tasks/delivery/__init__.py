"""Delivery tasks (issue #15): what ``vrkit programmes …``, ``vrkit synth programmes``, the
portal's commissioner and provider pages and ``/api/v1`` call.

==========================================  ===================================================
command                                     task
==========================================  ===================================================
``vrkit programmes import PATH…``           :func:`import_delivery`
``vrkit programmes register``               :func:`programme_register`
``vrkit programmes export``                 :func:`export_360giving`
``vrkit programmes show REF``               :func:`programme_page`
``vrkit programmes budget``                 :func:`budgets`, :func:`finance_dashboard`
``vrkit programmes spend …``                :func:`record_amount`, :func:`finance_dashboard`
``vrkit programmes reprofile …``            :func:`propose_reprofile`, :func:`decide_reprofile`,
                                            :func:`reverse_reprofile`, :func:`reprofile_list`
``vrkit programmes returns …``              :func:`return_template`, :func:`submit_return`,
                                            :func:`list_returns`, :func:`progress`
``vrkit programmes logic-model …``          :func:`logic_model_view`, :func:`import_logic_model`,
                                            :func:`export_logic_model`
``vrkit programmes report``                 :func:`delivery_tables`
``vrkit synth programmes``                  :func:`synth_programmes`
==========================================  ===================================================

Every task takes a SQLAlchemy session on the operational database (:func:`database_session`)
and, where it changes something, the acting :class:`~vrkit.ops.roles.Principal` (audited).
"""

from vrkit.tasks.delivery._common import cli_actor, database_session
from vrkit.tasks.delivery.finance import (
    budgets,
    decide_reprofile,
    finance_dashboard,
    propose_reprofile,
    record_amount,
    reprofile_list,
    reverse_reprofile,
)
from vrkit.tasks.delivery.logic_model import (
    export_logic_model,
    import_logic_model,
    logic_model_view,
)
from vrkit.tasks.delivery.programme import programme_page
from vrkit.tasks.delivery.register import export_360giving, import_delivery, programme_register
from vrkit.tasks.delivery.returns import list_returns, progress, return_template, submit_return
from vrkit.tasks.delivery.synth import synth_programmes
from vrkit.tasks.delivery.tables import delivery_tables

__all__ = [
    "budgets",
    "cli_actor",
    "database_session",
    "decide_reprofile",
    "delivery_tables",
    "export_360giving",
    "export_logic_model",
    "finance_dashboard",
    "import_delivery",
    "import_logic_model",
    "list_returns",
    "logic_model_view",
    "programme_page",
    "programme_register",
    "progress",
    "propose_reprofile",
    "record_amount",
    "reprofile_list",
    "return_template",
    "reverse_reprofile",
    "submit_return",
    "synth_programmes",
]
