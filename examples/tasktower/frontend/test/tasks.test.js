// Unit tests of the page's logic with Node's own test runner (node --test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  escapeHtml,
  isOverdue,
  loadTasks,
  renderList,
  renderTask,
  sortTasks,
  summarize,
} from "../src/tasks.js";

const TODAY = "2030-01-15";
const TASKS = [
  { id: 1, title: "done early", done: true, due: "2030-01-01" },
  { id: 2, title: "late", done: false, due: "2030-01-10" },
  { id: 3, title: "no date", done: false, due: null },
  { id: 4, title: "soon", done: false, due: "2030-01-20" },
];

test("escapeHtml escapes what HTML would read as markup", () => {
  assert.equal(escapeHtml(`<b>"Tom" & 'Jerry'</b>`),
    "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
});

test("sortTasks: open before done, by due date, undated last", () => {
  assert.deepEqual(sortTasks(TASKS).map((t) => t.id), [2, 4, 3, 1]);
});

test("sortTasks does not reorder its input", () => {
  const copy = [...TASKS];
  sortTasks(TASKS);
  assert.deepEqual(TASKS, copy);
});

test("isOverdue: only open tasks past their date", () => {
  assert.equal(isOverdue(TASKS[1], TODAY), true);
  assert.equal(isOverdue(TASKS[0], TODAY), false);
  assert.equal(isOverdue(TASKS[2], TODAY), false);
  assert.equal(isOverdue(TASKS[3], TODAY), false);
});

test("summarize counts open, done and overdue", () => {
  assert.deepEqual(summarize(TASKS, TODAY), { total: 4, open: 3, done: 1, overdue: 1 });
});

test("renderTask escapes the title and marks state", () => {
  const html = renderTask({ id: 7, title: "<script>", done: false, due: "2030-01-01" }, TODAY);
  assert.match(html, /&lt;script&gt;/);
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /task--overdue/);
  assert.match(html, /data-id="7"/);
});

test("renderList: a friendly line when empty, a sorted list otherwise", () => {
  assert.match(renderList([], TODAY), /No tasks yet/);
  const html = renderList(TASKS, TODAY);
  assert.ok(html.indexOf("late") < html.indexOf("done early"));
});

test("loadTasks returns the list and refuses what is not one", async () => {
  const answer = (status, body) => async () => ({ ok: status === 200, status, json: async () => body });
  assert.deepEqual(await loadTasks(answer(200, { tasks: TASKS })), TASKS);
  await assert.rejects(loadTasks(answer(503, {})), /answered 503/);
  await assert.rejects(loadTasks(answer(200, { tasks: "nope" })), /not answer a task list/);
});
