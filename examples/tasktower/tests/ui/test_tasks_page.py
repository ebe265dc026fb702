"""Task Tower's page in a real browser: it loads clean, adds, completes and filters.

Every locator is a role or a label (what a user, or a screen reader, finds the
control by) and every wait is Playwright's auto-retrying `expect`: no sleeps.
The database is shared with the rest of the gate, so each test makes its own
uniquely titled tasks and never counts the list.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_page_loads_without_errors(page: Page, tasks_page, problems: list[str]) -> None:
    tasks_page.open()
    expect(page).to_have_title("Task Tower")
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Task Tower")).to_be_visible()
    expect(page.get_by_role("textbox", name="Task")).to_be_visible()
    expect(page.get_by_role("button", name="Add task")).to_be_enabled()
    expect(page.get_by_role("navigation", name="Filter tasks")).to_be_visible()
    expect(page.get_by_role("link", name="All")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text(re.compile(r"^\d+ open, \d+ done, \d+ overdue$"))).to_be_visible()
    assert problems == []


def test_add_a_task_with_the_keyboard(
    page: Page, tasks_page, problems: list[str], title: str
) -> None:
    tasks_page.open()
    page.get_by_label("Due date").fill("2030-01-31")
    field = page.get_by_role("textbox", name="Task")
    field.fill(title)
    field.press("Enter")
    expect(page.get_by_role("status")).to_have_text(f"Added “{title}”.")
    item = tasks_page.item(title)
    expect(item).to_be_visible()
    expect(item).to_contain_text("due 2030-01-31")
    expect(field).to_have_value("")
    expect(field).to_be_focused()  # ready for the next one
    assert problems == []


def test_a_blank_title_is_refused_and_said(page: Page, tasks_page) -> None:
    tasks_page.open()
    field = page.get_by_role("textbox", name="Task")
    field.fill("   ")
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status")).to_have_text("Enter a title for the task.")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()


def test_complete_a_task(page: Page, tasks_page, problems: list[str], title: str) -> None:
    task = tasks_page.create(title)
    tasks_page.open()
    item = tasks_page.item(title)
    item.get_by_role("button", name=f"Complete {title}").click()
    expect(page.get_by_role("status")).to_have_text(f"Completed “{title}”.")
    expect(item.get_by_role("button")).to_have_count(0)
    expect(item).to_contain_text("done")
    assert page.request.get(f"/tasks/{task['id']}").json()["done"] is True
    assert problems == []


def test_filter_links_change_the_list_and_the_url(page: Page, tasks_page, title: str) -> None:
    tasks_page.create(f"{title} open")
    tasks_page.create(f"{title} done", done=True)
    tasks_page.open()
    page.get_by_role("navigation", name="Filter tasks").get_by_role("link", name="Done").click()
    expect(page).to_have_url(re.compile(r"/\?filter=done$"))
    expect(page.get_by_role("link", name="Done")).to_have_attribute("aria-current", "page")
    expect(tasks_page.item(f"{title} done")).to_be_visible()
    expect(tasks_page.item(f"{title} open")).to_have_count(0)
    page.go_back()  # the filter is history: Back shows all again
    expect(page).to_have_url(re.compile(r"/$"))
    expect(tasks_page.item(f"{title} open")).to_be_visible()
    expect(tasks_page.item(f"{title} done")).to_be_visible()


def test_a_filtered_view_can_be_visited_directly(page: Page, tasks_page, title: str) -> None:
    tasks_page.create(f"{title} open")
    tasks_page.create(f"{title} done", done=True)
    tasks_page.open("/?filter=open")
    expect(page.get_by_role("link", name="Open")).to_have_attribute("aria-current", "page")
    expect(tasks_page.item(f"{title} open")).to_be_visible()
    expect(tasks_page.item(f"{title} done")).to_have_count(0)
