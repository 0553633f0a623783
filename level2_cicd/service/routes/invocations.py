"""MLflow's scoring protocol (/invocations): answers like `mlflow models serve` of the model, logged as /predict."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from level2_cicd.service.access import Role, requires
from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import FeatureRow, InvocationsRequest

router = APIRouter(dependencies=[Depends(requires(Role.SCORING))])


@router.post("/invocations")
async def invocations(body: InvocationsRequest, svc: ServiceDep, request: Request) -> dict[str, Any]:
    """MLflow's scoring protocol; answers like `mlflow models serve` of the same model.

    ``params.event_time`` (MLflow's inference params) says when the rows happened, as /predict's event_time.
    """
    key = request.headers.get(svc.variants.release.routing_header)
    event_time = body.params.event_time if body.params is not None else None
    predictions = await svc.predict(rows_from_invocation(body), event_time, key)
    return {"predictions": [[1.0 - p.probability, p.probability] for p in predictions]}


def rows_from_invocation(body: InvocationsRequest) -> list[dict[str, Any]]:
    """Rows of MLflow's `dataframe_split` / `dataframe_records`, validated like /predict's."""
    if (body.dataframe_split is None) == (body.dataframe_records is None):
        raise HTTPException(422, "give exactly one of dataframe_split or dataframe_records")
    if body.dataframe_split is not None:
        split = body.dataframe_split
        raw = [dict(zip(split.columns, values, strict=False)) for values in split.data]
        where = "dataframe_split"
    else:
        raw = body.dataframe_records or []
        where = "dataframe_records"
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(raw):
        try:
            rows.append(FeatureRow.model_validate(row).model_dump())
        except ValidationError as error:
            errors += [{**e, "loc": ("body", where, index, *e["loc"])} for e in error.errors(include_url=False)]
    if errors:
        raise RequestValidationError(errors)
    return rows
