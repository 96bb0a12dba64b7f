"""One module per dataset; `DATASETS` lists them in build order."""
from __future__ import annotations

from data_prep.datasets import dates, glove, sentiment, shakespeare, sms_spam, ud_ewt
from data_prep.datasets.base import Built, DatasetSpec

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (sentiment.SPEC, sms_spam.SPEC, shakespeare.SPEC, ud_ewt.SPEC, glove.SPEC,
                 dates.SPEC)
}

__all__ = ["DATASETS", "Built", "DatasetSpec"]
