"""--tower-merge: one verdict from the reports of shards and of jobs split by stage."""

from pytest_tower.run.merge.main import merge_main

__all__ = ["merge_main"]
