-- Feedback between colleagues and recognition. An anonymous answer to a request is stored with
-- no giver and no time, under a random (not time-ordered) id, and stays unreleased until it can
-- be released with at least two others.
CREATE TABLE feedback (
    id           BLOB PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL,
    giver_id     BLOB REFERENCES people (id),
    recipient_id BLOB NOT NULL REFERENCES people (id),
    body         TEXT NOT NULL,
    visibility   TEXT NOT NULL,
    category     TEXT,
    goal_id      BLOB,
    request_id   BLOB,
    released     INTEGER NOT NULL,
    created_at   TEXT
);
CREATE INDEX feedback_received ON feedback (recipient_id, id);
CREATE INDEX feedback_given ON feedback (giver_id, id);
CREATE INDEX feedback_of_request ON feedback (request_id);
CREATE INDEX feedback_public ON feedback (id) WHERE visibility = 'organisation';

-- A request: someone (or their manager, for them) asks named colleagues a question.
CREATE TABLE feedback_requests (
    id           BLOB PRIMARY KEY NOT NULL,
    requester_id BLOB NOT NULL REFERENCES people (id),
    subject_id   BLOB NOT NULL REFERENCES people (id),
    question     TEXT NOT NULL,
    due_date     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX feedback_requests_of ON feedback_requests (subject_id, id);
CREATE INDEX feedback_requests_by ON feedback_requests (requester_id, id);

-- Whom a request asks, and whether they answered or declined (never which answer is theirs).
CREATE TABLE feedback_request_respondents (
    request_id BLOB NOT NULL REFERENCES feedback_requests (id),
    person_id  BLOB NOT NULL REFERENCES people (id),
    status     TEXT NOT NULL,
    PRIMARY KEY (request_id, person_id)
);
CREATE INDEX feedback_asked ON feedback_request_respondents (person_id, request_id);

-- Feedback acted on in a 1:1: the talking points and action items its recipient made of it.
CREATE TABLE feedback_followups (
    feedback_id    BLOB NOT NULL REFERENCES feedback (id),
    agenda_item_id BLOB,
    action_item_id BLOB,
    created_at     TEXT NOT NULL
);
CREATE INDEX feedback_followups_of ON feedback_followups (feedback_id);
