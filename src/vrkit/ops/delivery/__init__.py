"""The delivery side of the operational database (issue #15): programmes, organisations and
grants, money (budgets, profiles, spend, forecasts, reprofiles), monitoring returns and targets,
and the logic model. Importing it registers the roles and tables."""

from vrkit.ops.delivery import models, policy

__all__ = ["models", "policy"]
