// What the Task Tower page shows, as pure functions: tested by `node --test`
// without a browser, bundled by esbuild into tasktower/static/dist/app.js.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put inside HTML (a title is user input). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Open tasks first, then by due date (none last), then newest first. */
export function sortTasks(tasks) {
  const due = (t) => (t.due ? t.due : "9999-12-31");
  return [...tasks].sort(
    (a, b) =>
      Number(a.done) - Number(b.done) ||
      due(a).localeCompare(due(b)) ||
      (b.id ?? 0) - (a.id ?? 0),
  );
}

/** Whether an open task is past its due date on `today` (YYYY-MM-DD). */
export function isOverdue(task, today) {
  return !task.done && Boolean(task.due) && task.due < today;
}

/** Counts for the header: total, open, done, overdue. */
export function summarize(tasks, today) {
  const done = tasks.filter((t) => t.done).length;
  return {
    total: tasks.length,
    open: tasks.length - done,
    done,
    overdue: tasks.filter((t) => isOverdue(t, today)).length,
  };
}

/** One task as an <li>: escaped title, its state and due date as classes and text. */
export function renderTask(task, today) {
  const classes = ["task"];
  if (task.done) classes.push("task--done");
  if (isOverdue(task, today)) classes.push("task--overdue");
  const due = task.due ? ` <time datetime="${escapeHtml(task.due)}">${escapeHtml(task.due)}</time>` : "";
  return `<li class="${classes.join(" ")}" data-id="${Number(task.id)}">${escapeHtml(task.title)}${due}</li>`;
}

/** The list of tasks as HTML, sorted; a friendly line when there is none. */
export function renderList(tasks, today) {
  if (tasks.length === 0) return '<p class="empty">No tasks yet.</p>';
  return `<ul class="tasks">${sortTasks(tasks).map((t) => renderTask(t, today)).join("")}</ul>`;
}

/** GET /tasks through `fetchFn` (window.fetch in the page): the task list, or an error. */
export async function loadTasks(fetchFn, baseUrl = "") {
  const response = await fetchFn(`${baseUrl}/tasks?limit=1000`);
  if (!response.ok) throw new Error(`GET /tasks answered ${response.status}`);
  const body = await response.json();
  if (!Array.isArray(body.tasks)) throw new Error("GET /tasks did not answer a task list");
  return body.tasks;
}
