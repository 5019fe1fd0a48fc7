"""A workflow written with Temporal's Python SDK that calls the Rust
worker's activities by name, with plain JSON payloads: the proof that the
payload contract holds across languages (tests/temporal/cross_language.rs
runs it).

usage: cross_language.py ADDRESS ACTIVITY_TASK_QUEUE JOB_TYPE RECORDS_JSON

Runs a Python worker for the workflow on a task queue of its own, starts
the workflow, and prints its result as one JSON object on stdout.
"""

import asyncio
import json
import sys
import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Worker

TIMEOUT = timedelta(seconds=180)


@workflow.defn(name="python-enrich")
class PythonEnrich:
    @workflow.run
    async def run(self, args: dict) -> dict:
        queue = args["activityTaskQueue"]

        async def call(name, payload, **options):
            options.setdefault("start_to_close_timeout", TIMEOUT)
            return await workflow.execute_activity(name, payload, task_queue=queue, **options)

        # One attempt: never submit the same records twice.
        job = await call(
            "matchkraft.submit",
            {"jobName": args["jobName"], "jobType": args["jobType"], "records": args["records"]},
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        ref = {"jobType": job["jobType"], "jobId": job["jobId"]}
        status = await call("matchkraft.status", ref)
        done = await call(
            "matchkraft.wait",
            {**ref, "timeoutMs": 60_000},
            heartbeat_timeout=timedelta(seconds=10),
        )
        page = await call("matchkraft.results", {**ref, "offset": 1, "limit": 1})
        try:
            await call(
                "matchkraft.status",
                {"jobType": job["jobType"], "jobId": "no-such-job"},
                retry_policy=RetryPolicy(maximum_attempts=5),
            )
            not_found = None
        except ActivityError as error:
            cause = error.cause
            assert isinstance(cause, ApplicationError), repr(cause)
            not_found = {"type": cause.type, "nonRetryable": cause.non_retryable, "message": cause.message}
        return {"job": job, "status": status, "results": done, "page": page, "notFound": not_found}


async def main() -> None:
    address, activity_queue, job_type, records = sys.argv[1:5]
    client = await Client.connect(address)
    own_queue = f"python-workflows-{uuid.uuid4()}"
    async with Worker(client, task_queue=own_queue, workflows=[PythonEnrich]):
        result = await client.execute_workflow(
            "python-enrich",
            {
                "activityTaskQueue": activity_queue,
                "jobName": "from-python",
                "jobType": job_type,
                "records": json.loads(records),
            },
            id=f"python-enrich-{uuid.uuid4()}",
            task_queue=own_queue,
            execution_timeout=timedelta(minutes=5),
        )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
