"""Load for Task Tower: a team working its task list — mostly reading, some
creating and completing, a little cleanup so the database stays bounded.

Request names group ids away ("POST /tasks/[id]/complete") so the gate's
conditions read one line per endpoint.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from locust import HttpUser, between, task


class TaskTowerUser(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.open_ids: list[int] = []
        self.done_ids: list[int] = []

    @task(6)
    def list_tasks(self) -> None:
        query = random.choice(["", "?done=false", "?done=true"])
        self.client.get(f"/tasks{query}", name="GET /tasks")

    @task(3)
    def create_task(self) -> None:
        body: dict[str, object] = {"title": f"task {random.randint(1, 1_000_000)}"}
        if random.random() < 0.5:
            body["due"] = (date.today() + timedelta(days=random.randint(1, 30))).isoformat()
        with self.client.post("/tasks", json=body, name="POST /tasks", catch_response=True) as r:
            if r.status_code != 201:
                r.failure(f"expected 201, got {r.status_code}")
                return
            self.open_ids.append(r.json()["id"])

    @task(2)
    def read_task(self) -> None:
        if self.open_ids:
            task_id = random.choice(self.open_ids)
            self.client.get(f"/tasks/{task_id}", name="GET /tasks/[id]")

    @task(2)
    def complete_task(self) -> None:
        if not self.open_ids:
            return
        task_id = self.open_ids.pop(random.randrange(len(self.open_ids)))
        self.client.post(f"/tasks/{task_id}/complete", name="POST /tasks/[id]/complete")
        self.done_ids.append(task_id)

    @task(1)
    def delete_done_task(self) -> None:
        if self.done_ids:
            task_id = self.done_ids.pop(0)
            self.client.delete(f"/tasks/{task_id}", name="DELETE /tasks/[id]")
