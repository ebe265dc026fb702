// The Task Tower page: lists the tasks, adds one, completes one, filters them.
// The page's logic is in tasks.js (pure, tested by node --test); this module
// only wires it to the DOM of tasktower/templates/index.html. Bundled and
// minified by esbuild (npm run build) into tasktower/static/dist/, shipped in
// the wheel. The filter lives in the URL (?filter=open|done), so a filtered
// view can be linked to, reloaded and visited directly.
import {
  FILTERS,
  checkTitle,
  completeTask,
  createTask,
  filterHref,
  filterTasks,
  loadTasks,
  parseFilter,
  renderList,
  summarize,
  summaryText,
} from "./tasks.js";

function today() {
  return new Date().toISOString().slice(0, 10);
}

class Page {
  constructor(doc, win) {
    this.win = win;
    this.fetch = win.fetch.bind(win);
    this.form = doc.getElementById("new-task");
    this.title = doc.getElementById("title");
    this.due = doc.getElementById("due");
    this.submit = this.form.querySelector("button[type=submit]");
    this.status = doc.getElementById("status");
    this.summary = doc.getElementById("summary");
    this.list = doc.getElementById("tasks");
    this.heading = doc.getElementById("tasks-heading");
    this.links = [...doc.querySelectorAll("a[data-filter]")];
    this.tasks = null; // until the first load: no list, not even an empty one
    this.filter = parseFilter(win.location.search);
  }

  start() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-complete]");
      if (button) this.complete(button);
    });
    for (const link of this.links) {
      link.addEventListener("click", (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        this.show(link.dataset.filter, true);
      });
    }
    this.win.addEventListener("popstate", () => this.show(parseFilter(this.win.location.search)));
    this.render();
    return this.reload();
  }

  announce(message, isError = false) {
    this.status.textContent = message;
    this.status.classList.toggle("status--error", isError);
  }

  async reload() {
    this.list.setAttribute("aria-busy", "true");
    try {
      this.tasks = await loadTasks(this.fetch);
      this.render();
    } catch (error) {
      if (this.tasks === null) this.list.textContent = ""; // else the last list stays
      this.announce(`Could not load the tasks: ${error.message}`, true);
    } finally {
      this.list.setAttribute("aria-busy", "false");
    }
  }

  show(filter, push = false) {
    this.filter = FILTERS.includes(filter) ? filter : "all";
    if (push) this.win.history.pushState({ filter: this.filter }, "", filterHref(this.filter));
    this.render();
  }

  render() {
    for (const link of this.links) {
      if (link.dataset.filter === this.filter) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (this.tasks === null) return;
    this.summary.textContent = summaryText(summarize(this.tasks, today()));
    this.list.innerHTML = renderList(filterTasks(this.tasks, this.filter), today(), this.filter);
  }

  async add() {
    const checked = checkTitle(this.title.value);
    if (checked.error) {
      this.title.setAttribute("aria-invalid", "true");
      this.announce(checked.error, true);
      this.title.focus();
      return;
    }
    this.title.removeAttribute("aria-invalid");
    this.submit.disabled = true;
    try {
      const task = await createTask(this.fetch, checked.title, this.due.value);
      this.form.reset();
      await this.reload();
      this.announce(`Added “${task.title}”.`);
    } catch (error) {
      this.announce(`Could not add the task: ${error.message}`, true);
    } finally {
      this.submit.disabled = false;
      this.title.focus();
    }
  }

  async complete(button) {
    button.disabled = true;
    try {
      const task = await completeTask(this.fetch, button.dataset.complete);
      await this.reload();
      this.announce(`Completed “${task.title}”.`);
      this.heading.focus(); // the button is gone: keep keyboard focus in the list
    } catch (error) {
      button.disabled = false;
      this.announce(`Could not complete the task: ${error.message}`, true);
    }
  }
}

if (typeof document !== "undefined") {
  document.addEventListener("DOMContentLoaded", () => {
    if (document.getElementById("new-task")) new Page(document, window).start();
  });
}
