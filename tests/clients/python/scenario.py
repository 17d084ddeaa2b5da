"""A 1:1 through the typed Python client generated from openapi/openapi.json.

Sign in, create a series, add talking points (one private), write notes, complete the meeting,
agree on an action item and list my open ones. Every response is parsed by the generated models
(an enum value or a field the contract does not know fails there), and a status the contract
does not document raises.

Usage: python scenario.py BASE_URL (with the generated package `oneonone_client` importable).
"""

import sys
from datetime import datetime, timedelta, timezone

from oneonone_client import AuthenticatedClient, Client
from oneonone_client.api.action_items import create_action_item, list_action_items
from oneonone_client.api.agenda import (
    create_agenda_item,
    update_agenda_item,
    write_private_note,
    write_shared_note,
)
from oneonone_client.api.auth import login
from oneonone_client.api.meetings import (
    complete_meeting,
    create_meeting_series,
    list_meetings,
    read_meeting,
)
from oneonone_client.api.people import list_direct_reports, set_person_password
from oneonone_client.models import (
    ActionIn,
    ActionItemStatus,
    Category,
    Complete,
    ItemIn,
    ItemPatch,
    LoginRequest,
    MeetingStatus,
    NoteIn,
    SeriesIn,
    SetPassword,
)

PASSWORD = "oneonone-demo-2026"


def ok(response, what, model):
    """The parsed body of a successful response, which must be an instance of `model`."""
    if response.status_code >= 300 or not isinstance(response.parsed, model):
        raise SystemExit(f"{what}: HTTP {response.status_code} {response.content[:300]!r}")
    return response.parsed


def sign_in(base, email, password=PASSWORD):
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)
    from oneonone_client.models import LoginResponse

    session = ok(
        login.sync_detailed(client=anonymous, body=LoginRequest(email=email, password=password)),
        f"login {email}",
        LoginResponse,
    )
    client = AuthenticatedClient(
        base_url=base, token=session.access_token, raise_on_unexpected_status=True
    )
    return client, session.person_id


def main(base):
    from oneonone_client.models import (
        ActionOut,
        ActionPage,
        ItemOut,
        MeetingDetail,
        MeetingOut,
        MeetingPage,
        NoteOut,
        PersonPage,
        SeriesOut,
    )

    manager, me = sign_in(base, "grace.hopper@example.com")
    reports = ok(list_direct_reports.sync_detailed(me, client=manager), "reports", PersonPage)
    report_person = reports.data[0]
    series = ok(
        create_meeting_series.sync_detailed(
            client=manager,
            body=SeriesIn(
                manager_id=me,
                report_id=report_person.id,
                local_time="08:45",
                time_zone="America/New_York",
            ),
        ),
        "create series",
        SeriesOut,
    )
    page = ok(
        list_meetings.sync_detailed(client=manager, series_id=series.id, limit=1),
        "series meetings",
        MeetingPage,
    )
    first = page.data[0]
    assert isinstance(first.status, MeetingStatus) and first.status == MeetingStatus.SCHEDULED
    shared = ok(
        create_agenda_item.sync_detailed(
            first.id,
            client=manager,
            body=ItemIn(title="Growth plan", category=Category.CAREER),
        ),
        "shared point",
        ItemOut,
    )
    secret = ok(
        create_agenda_item.sync_detailed(
            first.id, client=manager, body=ItemIn(title="Raise: budget is tight", private=True)
        ),
        "private point",
        ItemOut,
    )
    assert secret.private and not shared.private
    ok(
        write_shared_note.sync_detailed(
            first.id, client=manager, body=NoteIn(body="Agreed on a growth plan.")
        ),
        "shared note",
        NoteOut,
    )
    ok(
        write_private_note.sync_detailed(
            first.id, client=manager, body=NoteIn(body="Check the budget first.")
        ),
        "private note",
        NoteOut,
    )
    action = ok(
        create_action_item.sync_detailed(
            first.id,
            client=manager,
            body=ActionIn(title="Write the growth plan", assignee_id=me),
        ),
        "action item",
        ActionOut,
    )
    # The shared point was discussed: check it off (an unchecked one would carry over to the next
    # meeting).
    checked = ok(
        update_agenda_item.sync_detailed(
            first.id, shared.id, client=manager, body=ItemPatch(checked=True)
        ),
        "check off",
        ItemOut,
    )
    assert checked.checked
    done = ok(
        complete_meeting.sync_detailed(
            first.id, client=manager, body=Complete(actual_duration_minutes=25)
        ),
        "complete",
        MeetingOut,
    )
    assert done.status == MeetingStatus.COMPLETED
    mine = ok(
        list_action_items.sync_detailed(client=manager, assignee="me", status=ActionItemStatus.OPEN),
        "my open action items",
        ActionPage,
    )
    assert any(a.id == action.id for a in mine.data)
    assert all(a.status == ActionItemStatus.OPEN for a in mine.data)
    # The report (given a password by the HR admin) sees the meeting and the shared point, never
    # the manager's private one.
    hr, _ = sign_in(base, "hannah.reyes@example.com")
    password = f"python-{first.id}-passphrase"
    done_set = set_person_password.sync_detailed(
        report_person.id, client=hr, body=SetPassword(password=password)
    )
    assert done_set.status_code == 204, done_set.content
    report, _ = sign_in(base, report_person.email, password)
    detail = ok(read_meeting.sync_detailed(first.id, client=report), "as the report", MeetingDetail)
    assert detail.status == MeetingStatus.COMPLETED
    seen = [item.id for item in detail.content.agenda_items]
    assert shared.id in seen and secret.id not in seen
    assert not detail.content.notes.private

    # eNPS: the demo's closed survey has results (small departments suppressed); a new survey is
    # answered once, and nothing of the answer comes back.
    from oneonone_client.api.enps import (
        answer_enps_survey,
        create_enps_survey,
        list_enps_surveys,
        read_enps_results,
    )
    from oneonone_client.models import (
        AnswerIn,
        CheckinPopulation,
        ResultsOut,
        SurveyIn,
        SurveyOut,
        SurveyPage,
        SurveyStatus,
    )

    surveys = ok(list_enps_surveys.sync_detailed(client=hr), "surveys", SurveyPage)
    closed = [s for s in surveys.data if s.status == SurveyStatus.CLOSED]
    assert closed, "the demo has closed surveys"
    results = ok(read_enps_results.sync_detailed(closed[0].id, client=hr), "results", ResultsOut)
    assert results.published and isinstance(results.group.enps, int)
    assert any(d.suppressed for d in results.departments)
    now = datetime.now(timezone.utc)
    survey = ok(
        create_enps_survey.sync_detailed(
            client=hr,
            body=SurveyIn(
                name=f"python {now.isoformat()}",
                population=CheckinPopulation.EVERYONE,
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(days=1),
            ),
        ),
        "a new survey",
        SurveyOut,
    )
    answered = answer_enps_survey.sync_detailed(survey.id, client=report, body=AnswerIn(score=9))
    assert answered.status_code == 204, answered.content
    assert not answered.content
    again = answer_enps_survey.sync_detailed(survey.id, client=report, body=AnswerIn(score=3))
    assert again.status_code == 409, again.content
    print("python client: 1:1 scenario passed")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080")
