/*
 * PublicSurvey.tsx - the page a client opens from the resolved mail
 * (/s/:token, and /s/:token?rating=N from its one-click links). No
 * sign-in: the secret token is the only credential, every call is
 * anonymous. Opening the page never answers (mail scanners follow links):
 * the rating from the link is only pre-selected and the client confirms
 * it, with an optional comment. The answer may be changed for 7 days.
 */
import { useState } from "preact/hooks";
import { Alert, Button, ErrorState, Loading, TextArea } from "../components/ui";
import { request } from "../lib/api";
import { dateTime } from "../lib/format";
import { useForm, useLoad, useTitle } from "../lib/hooks";

interface PublicSurveyData {
  ticket_number: string;
  ticket_subject: string;
  firm_name: string | null;
  firm_phone: string | null;
  firm_email: string | null;
  firm_website: string | null;
  contact_name: string | null;
  rating: number | null;
  comment: string | null;
  answered_at: string | null;
  changeable_until: string | null;
  can_answer: boolean;
}

export const RATING_WORDS = ["", "Very poor", "Poor", "Fair", "Good", "Excellent"];

function preselected(search: string): number | null {
  const r = Number(new URLSearchParams(search).get("rating"));
  return Number.isInteger(r) && r >= 1 && r <= 5 ? r : null;
}

export function PublicSurvey({ token, search }: { token: string; search: string }) {
  const path = `/public/surveys/${encodeURIComponent(token)}`;
  const s = useLoad((signal) => request<PublicSurveyData>("GET", path, { anonymous: true, signal }).then((r) => r.data), [token]);
  const [rating, setRating] = useState<number | null>(preselected(search));
  const [thanks, setThanks] = useState(false);
  const [editing, setEditing] = useState(false);
  const form = useForm({ comment: "" }, ["rating"]);
  const d = s.data;
  useTitle(d ? `How did we do? ${d.ticket_number}${d.firm_name ? " · " + d.firm_name : ""}` : "How did we do?");

  if (s.error)
    return (
      <div class="quote-page survey-page">
        <div class="quote-doc survey-doc">
          <ErrorState message={/not found|no such|404/i.test(s.error) ? "This survey link is not valid. Please check the link in your e-mail." : s.error} />
        </div>
      </div>
    );
  if (!d)
    return (
      <div class="quote-page survey-page">
        <div class="quote-doc survey-doc">
          <Loading rows={4} label="Loading the survey…" />
        </div>
      </div>
    );

  const answered = d.rating !== null;
  const asking = d.can_answer && (!answered || editing) && !thanks;
  const chosen = rating ?? (editing ? d.rating : null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!chosen) return;
    const ok = await form.submit(async (v) => {
      const body: { rating: number; comment?: string } = { rating: chosen };
      if (v.comment.trim()) body.comment = v.comment.trim();
      await request("POST", path, { body, anonymous: true });
    });
    if (ok) {
      setThanks(true);
      setEditing(false);
      s.reload();
    }
  }

  return (
    <div class="quote-page survey-page">
      <article class="quote-doc survey-doc" aria-labelledby="survey-title">
        <header class="survey-head">
          <div class="quote-firm">{d.firm_name ?? ""}</div>
          <div class="quote-firm-meta small">{[d.firm_phone, d.firm_email].filter(Boolean).join(" · ")}</div>
        </header>
        <h1 id="survey-title" class="survey-title" tabIndex={-1}>
          {thanks ? "Thank you!" : "How did we do?"}
        </h1>
        <p class="survey-about">
          Service order <strong>{d.ticket_number}</strong>: {d.ticket_subject}
        </p>
        {thanks && (
          <Alert tone="success" title="Your answer is saved">
            {(d.rating ?? 0) <= 2 ? "We are sorry it was not better. A manager will be in touch." : "Thank you for telling us."}
          </Alert>
        )}
        {answered && !asking && (
          <div class="survey-answer">
            <p>
              You rated us <strong>{d.rating} out of 5</strong> ({RATING_WORDS[d.rating!]})
              {d.answered_at ? ` on ${dateTime(d.answered_at)}` : ""}.
            </p>
            {d.comment && <blockquote class="survey-comment">{d.comment}</blockquote>}
            {d.can_answer ? (
              <p class="small muted">
                You can change your answer until {dateTime(d.changeable_until)}.{" "}
                <Button
                  size="sm"
                  variant="subtle"
                  onClick={() => {
                    setRating(d.rating);
                    form.set("comment", d.comment ?? "");
                    setThanks(false);
                    setEditing(true);
                  }}
                >
                  Change it
                </Button>
              </p>
            ) : (
              <p class="small muted">The answer is final now.</p>
            )}
          </div>
        )}
        {asking && (
          <form class="survey-form" onSubmit={submit} noValidate aria-label="Rate our work">
            <fieldset class="survey-scale">
              <legend>{d.contact_name ? `${d.contact_name}, how` : "How"} happy are you with our work?</legend>
              <div class="survey-stars" role="radiogroup" aria-label="Rating from 1 (very poor) to 5 (excellent)">
                {[1, 2, 3, 4, 5].map((r) => (
                  <button
                    key={r}
                    type="button"
                    role="radio"
                    aria-checked={chosen === r}
                    class={`survey-star ${chosen !== null && r <= chosen ? "is-on" : ""}`}
                    onClick={() => setRating(r)}
                    aria-label={`${r} – ${RATING_WORDS[r]}`}
                  >
                    <span aria-hidden="true">★</span>
                    <span class="survey-star-n" aria-hidden="true">
                      {r}
                    </span>
                  </button>
                ))}
              </div>
              <p class="survey-chosen" aria-live="polite">
                {chosen ? `${chosen} of 5 – ${RATING_WORDS[chosen]}` : "Tap a star to rate."}
              </p>
            </fieldset>
            {form.errors.rating && <Alert>{form.errors.rating}</Alert>}
            {form.formError && <Alert>{form.formError}</Alert>}
            <TextArea label="Anything you want to tell us? (optional)" name="comment" value={form.values.comment} onValue={(x) => form.set("comment", x)} error={form.errors.comment} rows={4} />
            <div class="form-actions">
              {editing && <Button onClick={() => setEditing(false)}>Back</Button>}
              <Button type="submit" variant="primary" busy={form.busy} disabled={!chosen}>
                {chosen ? `Send my rating (${chosen}/5)` : "Send my rating"}
              </Button>
            </div>
          </form>
        )}
        {!d.can_answer && !answered && <Alert tone="info">This survey is closed.</Alert>}
      </article>
    </div>
  );
}
