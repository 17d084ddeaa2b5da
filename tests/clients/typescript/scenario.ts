// A 1:1 through the typed TypeScript client generated from openapi/openapi.json: sign in,
// create a series, add talking points (one private), write notes, complete the meeting, agree
// on an action item and list my open ones. The compiler checks every call and field against the
// contract; at run time each response's enums and required fields are checked too.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

type Schemas = components["schemas"];
const BASE = process.env.ONEONONE_URL ?? "http://127.0.0.1:8080";
const PASSWORD = "oneonone-demo-2026";
const MEETING_STATUSES: Schemas["MeetingStatus"][] = ["scheduled", "completed", "skipped", "cancelled"];
const ACTION_STATUSES: Schemas["ActionItemStatus"][] = ["open", "done", "cancelled"];

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`check failed: ${what}`);
}

function must<T>(r: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (r.data === undefined) {
    throw new Error(`${what}: HTTP ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  return r.data;
}

function meeting(m: Schemas["MeetingOut"]): Schemas["MeetingOut"] {
  check(MEETING_STATUSES.includes(m.status), `meeting status ${m.status} is in the contract`);
  check(typeof m.id === "string" && typeof m.starts_at === "string", "meeting fields");
  return m;
}

async function signIn(email: string, password = PASSWORD) {
  const anonymous = createClient<paths>({ baseUrl: BASE });
  const login = must(
    await anonymous.POST("/api/v1/auth/login", { body: { email, password } }),
    `login ${email}`,
  );
  check(login.token_type === "Bearer", "token type");
  const api = createClient<paths>({
    baseUrl: BASE,
    headers: { Authorization: `Bearer ${login.access_token}` },
  });
  return { api, me: login.person_id };
}

async function main() {
  const manager = await signIn("grace.hopper@example.com");
  const reports = must(
    await manager.api.GET("/api/v1/people/{id}/direct-reports", {
      params: { path: { id: manager.me } },
    }),
    "direct reports",
  );
  const reportPerson = reports.data[0];
  check(reportPerson !== undefined, "the demo manager has reports");
  const series = must(
    await manager.api.POST("/api/v1/meeting-series", {
      body: {
        manager_id: manager.me,
        report_id: reportPerson.id,
        local_time: "16:30",
        time_zone: "Europe/Berlin",
      },
    }),
    "create series",
  );
  const upcoming = must(
    await manager.api.GET("/api/v1/meetings", {
      params: { query: { series_id: series.id, limit: 1 } },
    }),
    "series meetings",
  );
  const first = upcoming.data[0];
  check(first !== undefined, "the series has meetings");
  meeting(first);
  const id = first.id;
  const added = await manager.api.POST("/api/v1/meetings/{id}/agenda-items", {
    params: { path: { id } },
    body: { title: "Priorities for the quarter", category: "goals" },
  });
  const shared = must(added, "shared talking point");
  const sharedEtag = added.response.headers.get("ETag");
  check(sharedEtag !== null, "a created talking point has an ETag");
  check(!shared.private, "shared point is shared");
  const secret = must(
    await manager.api.POST("/api/v1/meetings/{id}/agenda-items", {
      params: { path: { id } },
      body: { title: "Ask about workload (private)", private: true },
    }),
    "private talking point",
  );
  check(secret.private, "private point is private");
  must(
    await manager.api.PUT("/api/v1/meetings/{id}/notes/shared", {
      params: { path: { id } },
      body: { body: "Agreed: the RFC goes out on Friday." },
    }),
    "shared note",
  );
  must(
    await manager.api.PUT("/api/v1/meetings/{id}/notes/private", {
      params: { path: { id } },
      body: { body: "Seems tired; follow up." },
    }),
    "private note",
  );
  const action = must(
    await manager.api.POST("/api/v1/meetings/{id}/action-items", {
      params: { path: { id } },
      body: { title: "Send the RFC", assignee_id: manager.me, due_date: "2030-01-10" },
    }),
    "action item",
  );
  check(ACTION_STATUSES.includes(action.status), "action status");
  // The shared point was discussed: check it off (an unchecked one would carry over to the next
  // meeting), with the ETag read, as a careful client does.
  const checked = must(
    await manager.api.PATCH("/api/v1/meetings/{id}/agenda-items/{item_id}", {
      params: { path: { id, item_id: shared.id }, header: { "If-Match": sharedEtag } },
      body: { checked: true },
      headers: { "Content-Type": "application/merge-patch+json" },
    }),
    "check off",
  );
  check(checked.checked, "checked off");
  const done = meeting(
    must(
      await manager.api.POST("/api/v1/meetings/{id}/complete", {
        params: { path: { id } },
        body: { actual_duration_minutes: 30 },
      }),
      "complete",
    ),
  );
  check(done.status === "completed", "completed");
  const mine = must(
    await manager.api.GET("/api/v1/action-items", {
      params: { query: { assignee: "me", status: "open" } },
    }),
    "my open action items",
  );
  check(mine.data.some((a) => a.id === action.id), "my new action item is listed");
  mine.data.forEach((a) => check(ACTION_STATUSES.includes(a.status), "listed action status"));
  // The report (given a password by the HR admin) sees the meeting and the shared point, never
  // the manager's private one.
  const hr = await signIn("hannah.reyes@example.com");
  const reportPassword = `typescript-${Date.now()}-passphrase`;
  const set = await hr.api.PUT("/api/v1/people/{id}/password", {
    params: { path: { id: reportPerson.id } },
    body: { password: reportPassword },
  });
  check(set.response.status === 204, "HR sets the report's password");
  const report = await signIn(reportPerson.email, reportPassword);
  const detail = must(
    await report.api.GET("/api/v1/meetings/{id}", { params: { path: { id } } }),
    "meeting as the report",
  );
  check(detail.status === "completed", "the report sees it completed");
  const agenda = detail.content?.agenda_items ?? [];
  check(agenda.some((i) => i.id === shared.id), "the report sees the shared point");
  check(!agenda.some((i) => i.id === secret.id), "the report never sees the private point");
  check(detail.content?.notes.private === null || detail.content?.notes.private === undefined,
    "the report has no private note of the manager's");
  // eNPS: the demo's closed survey has results (small departments suppressed); a new survey is
  // answered once, and nothing of the answer comes back.
  const surveys = must(await hr.api.GET("/api/v1/enps-surveys", {}), "surveys");
  const closed = surveys.data.find((s) => s.status === "closed");
  check(closed !== undefined, "the demo has a closed survey");
  const results = must(
    await hr.api.GET("/api/v1/enps-surveys/{id}/results", {
      params: { path: { id: closed?.id ?? "" } },
    }),
    "results",
  );
  check(results.published && typeof results.group.enps === "number", "results are published");
  check(results.departments.some((d) => d.suppressed), "a small department is suppressed");
  const now = Date.now();
  const survey = must(
    await hr.api.POST("/api/v1/enps-surveys", {
      body: {
        name: `typescript ${now}`,
        population: "everyone",
        opens_at: new Date(now - 60_000).toISOString(),
        closes_at: new Date(now + 86_400_000).toISOString(),
      },
    }),
    "a new survey",
  );
  const answered = await report.api.POST("/api/v1/enps-surveys/{id}/answers", {
    params: { path: { id: survey.id } },
    body: { score: 9 },
  });
  check(answered.response.status === 204, "answered");
  const again = await report.api.POST("/api/v1/enps-surveys/{id}/answers", {
    params: { path: { id: survey.id } },
    body: { score: 3 },
  });
  check(again.response.status === 409, "answered once");
  console.log("typescript client: 1:1 scenario passed");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
