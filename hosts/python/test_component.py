"""The MatchKraft component in Python (wasmtime-py) against a running API,
normally the simulator that tests/other_hosts.rs starts.

    MATCHKRAFT_COMPONENT=.../matchkraft_component.wasm \
    MATCHKRAFT_BASE_URL=http://127.0.0.1:PORT/api/v2 MATCHKRAFT_API_KEY=sim-key \
    .venv/bin/python -m unittest -v test_component

How wasmtime-py 50 hands values over (checked against the installed version):
records are `Record` objects whose attributes keep the WIT names (`job-type`,
so `getattr`), enums are `str`, `option<T>` is `T` or `None`, and a variant is
`Variant(tag, payload)`. A `result<T, E>` is only wrapped in
`Variant('ok' | 'err', ...)` when the two sides cannot be told apart by Python
type; for `result<job, error>` (a record and a variant) the call returns the
`Record` itself on `ok` and the error `Variant` itself on `err`.
"""

import json
import os
import time
import unittest

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, Variant

API = "matchkraft:client/api@0.1.0"
WEBHOOKS = "matchkraft:client/webhooks@0.1.0"


class ComponentError(Exception):
    """An `err` result; `error` is the WIT `error` variant."""

    def __init__(self, error: Variant):
        super().__init__(f"{error.tag}: {error.payload!r}")
        self.error = error


class MatchKraft:
    """One instance of the component with only the two MATCHKRAFT_* variables."""

    def __init__(self, engine: Engine, component: Component, base_url: str, api_key: str):
        linker = Linker(engine)
        linker.add_wasip2()
        linker.add_wasi_http()
        self.store = Store(engine)
        wasi = WasiConfig()
        wasi.env = [("MATCHKRAFT_BASE_URL", base_url), ("MATCHKRAFT_API_KEY", api_key)]
        self.store.set_wasi(wasi)
        self.store.set_wasi_http()
        self.instance = linker.instantiate(self.store, component)

    def _func(self, interface: str, name: str):
        ifc = self.instance.get_export_index(self.store, interface)
        assert ifc is not None, f"no export {interface}"
        func = self.instance.get_func(self.store, self.instance.get_export_index(self.store, name, ifc))
        assert func is not None, f"no function {interface}#{name}"
        return func

    def _call(self, interface: str, name: str, *args):
        value = self._func(interface, name)(self.store, *args)
        # See the module docs: `ok`/`err` appear only when wasmtime-py had to
        # tag the result; otherwise a `Variant` can only be the error.
        if isinstance(value, Variant):
            if value.tag == "ok":
                return value.payload
            raise ComponentError(value.payload if value.tag == "err" else value)
        return value

    def submit(self, job_name: str, records: Variant) -> Record:
        return self._call(API, "submit", job_name, records)

    def status(self, job_type: str, job_id: str) -> Record:
        return self._call(API, "status", job_type, job_id)

    def results(self, job_type: str, job_id: str) -> Record:
        return self._call(API, "results", job_type, job_id)

    def parse_webhook(self, body: bytes) -> Record:
        return self._call(WEBHOOKS, "parse-webhook", body)

    def results_path(self, job_type: str, job_id: str) -> str:
        return self._call(WEBHOOKS, "results-path", job_type, job_id)


class ComponentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base_url = os.environ["MATCHKRAFT_BASE_URL"]
        cls.api_key = os.environ["MATCHKRAFT_API_KEY"]
        cls.engine = Engine()
        started = time.monotonic()
        cls.component = Component.from_file(cls.engine, os.environ["MATCHKRAFT_COMPONENT"])
        print(f"python: compiled the component in {time.monotonic() - started:.2f} s")

    def host(self, api_key=None) -> MatchKraft:
        return MatchKraft(self.engine, self.component, self.base_url, api_key or self.api_key)

    def run_job(self, job_name: str, records: Variant) -> list:
        """Submits, polls `status` until the job is terminal, then fetches results."""
        host = self.host()
        job = host.submit(job_name, records)
        self.assertEqual(getattr(job, "job-type"), records.tag)
        self.assertEqual(job.status, Variant("pending"))
        self.assertEqual(job.name, job_name)
        deadline = time.monotonic() + 10
        while True:
            current = host.status(records.tag, job.id)
            self.assertEqual(current.id, job.id)
            if current.status.tag in ("completed", "failed"):
                break
            self.assertLess(time.monotonic(), deadline, f"job did not finish: {vars(current)}")
            time.sleep(0.05)
        results = host.results(records.tag, job.id)
        self.assertEqual(results.job.id, job.id)
        self.assertEqual(results.job.status, Variant("completed"))
        self.assertEqual(results.records.tag, records.tag)
        return results.records.payload

    def test_email_validation_flow(self):
        john, catch_all = self.run_job(
            "python-wasmtime", Variant("email-validation", ["john@gmail.com", "test@domain.com"])
        )
        self.assertEqual(john.email, "john@gmail.com")
        self.assertEqual(john.status, Variant("valid"))
        self.assertIs(john.verified, True)
        self.assertEqual(john.reason, "mailbox exists")
        self.assertEqual(json.loads(john.raw)["email"], "john@gmail.com")
        self.assertEqual(catch_all.email, "test@domain.com")
        self.assertEqual(catch_all.status, Variant("catch-all"))
        self.assertIs(catch_all.verified, False)
        print(f"python: john@gmail.com -> {john.status.tag}")

    def test_email_finder_flow(self):
        contact = Record()
        for field, value in [("first-name", "Arseniy"), ("last-name", "Grusha"), ("website", "https://dataprana.io")]:
            setattr(contact, field, value)
        (found,) = self.run_job("python-wasmtime-finder", Variant("email-finder", [contact]))
        self.assertEqual(found.email, "arseniy@dataprana.io")
        self.assertEqual(found.confidence, 97.0)

    def test_wrong_key_is_permanent_unauthorized(self):
        with self.assertRaises(ComponentError) as caught:
            self.host("not-the-key").submit("python-bad-key", Variant("email-validation", ["john@gmail.com"]))
        self.assertEqual(caught.exception.error.tag, "permanent-unauthorized")
        self.assertIsInstance(caught.exception.error.payload, str)
        self.assertNotIn("not-the-key", caught.exception.error.payload)

    def test_invalid_input_names_the_record(self):
        with self.assertRaises(ComponentError) as caught:
            self.host().submit("python-invalid", Variant("email-validation", ["john@gmail.com", "not an email"]))
        self.assertEqual(caught.exception.error.tag, "permanent-invalid-input")
        self.assertEqual(caught.exception.error.payload.index, 1)

    def test_unknown_job_is_permanent_not_found(self):
        with self.assertRaises(ComponentError) as caught:
            self.host().status("email-validation", "00000000-0000-4000-8000-000000000000")
        self.assertEqual(caught.exception.error.tag, "permanent-not-found")

    def test_webhooks(self):
        host = self.host()
        job_id = "20f70187-b941-4bb0-b10f-599b025fc425"
        body = json.dumps(
            {"event": "job.completed", "jobId": job_id, "jobType": "email-validation", "status": "COMPLETED"}
        ).encode()
        event = host.parse_webhook(body)
        self.assertEqual(event.event, "job.completed")
        self.assertEqual(getattr(event, "job-id"), job_id)
        self.assertEqual(getattr(event, "job-type"), "email-validation")
        self.assertEqual(getattr(event, "job-type-name"), "email-validation")
        self.assertEqual(event.status, Variant("completed"))
        with self.assertRaises(ComponentError) as caught:
            host.parse_webhook(b'{"event":"job.completed"}')
        self.assertEqual(caught.exception.error.tag, "permanent-invalid-input")
        self.assertEqual(host.results_path("email-validation", job_id), f"/email-validation/results/{job_id}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
