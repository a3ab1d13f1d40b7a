"""
test_qa.py - random quality reviews through HTTP, on SQLite and PostgreSQL,
with the test clock: service orders finished by two technicians in one week
(in the firm's time zone, across a DST change, with a Sunday-night and a
Monday-morning resolution at the edges), the weekly draw run by "servio
worker --run qa-draw" (10 % with at least one per technician, none for one
who finished nothing, nothing for a week not ended), drawn once (running
again or changing the rate draws nothing more; rate 0 draws nothing), the
sample reproduced here from the recorded seed, reviews completed with a
computed score, skipped, made by hand; the bad input (answers not matching
the template, points above a weight, an unknown template, a review by the
technician reviewed); the templates' single default; the report; and the
roles (a technician reads only their own reviews; sales and billing none).
"""

import unittest

from harness import ServerTestCase, unique

PASSWORD = "Quality-Tests-Pass-For-Users-7!"
WEEK1 = "2030-03-04"	# Monday; America/Chicago goes to summer time on Sunday the 10th
WEEK2 = "2030-03-11"
MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def sample(seed, ids, k):
    """The draw as docs/QUALITY.md describes it, written again from the description."""
    ids = sorted(ids)
    state = seed
    for i in range(min(k, len(ids))):
        n = len(ids) - i
        limit = MASK - MASK % n
        while True:
            state, r = splitmix64(state)
            if r < limit:
                break
        j = i + r % n
        ids[i], ids[j] = ids[j], ids[i]
    return sorted(ids[:k])


class QualityReviewCase(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {}
        for name, role in (("tech1", "technician"), ("tech2", "technician"),
                           ("tech3", "technician"), ("manager", "manager"),
                           ("manager2", "manager"), ("sales", "sales"), ("billing", "billing")):
            email = unique(name) + "@firm.example"
            cls.server.add_user(email, role, PASSWORD, name=name.capitalize())
            client = cls.server.client(cls.server.token_for(email))
            me = client.get("/api/v1/me")[2]["user"]
            cls.users[name] = {"client": client, "id": me["id"]}
        status, headers, _ = cls.admin.get("/api/v1/settings")
        status, _, body = cls.admin.patch("/api/v1/settings", {"timezone": "America/Chicago"},
                                          headers={"If-Match": headers["etag"]})
        assert status == 200, body
        status, _, company = cls.admin.post("/api/v1/companies", {"name": unique("Client ")})
        assert status == 201, company
        cls.company_id = company["id"]

    # helpers

    def c(self, name):
        return self.users[name]["client"]

    def uid(self, name):
        return self.users[name]["id"]

    def settings(self, **fields):
        status, headers, _ = self.admin.get("/api/v1/settings")
        return self.assertStatus(self.admin.patch("/api/v1/settings", fields,
                                                  headers={"If-Match": headers["etag"]}), 200)

    def finished(self, who, status="resolved"):
        """A service order of who's, resolved (and closed) now on the server's clock."""
        t = self.assertStatus(self.admin.post("/api/v1/tickets", {
            "subject": unique("Printer jams "), "company_id": self.company_id,
            "assignee_id": self.uid(who)}), 201)
        t = self.assertStatus(self.admin.patch(
            "/api/v1/tickets/%d" % t["id"], {"status": "resolved",
                                             "resolution": "Replaced the fuser."},
            headers={"If-Match": "*"}), 200)
        if status == "closed":
            t = self.assertStatus(self.admin.patch(
                "/api/v1/tickets/%d" % t["id"], {"status": "closed"},
                headers={"If-Match": "*"}), 200)
        return t["id"]

    def draw(self):
        r = self.server.run_cli("worker", "--run", "qa-draw")
        self.assertEqual(r.returncode, 0, r.stderr)

    def all(self, path, client=None):
        out = []
        sep = "&" if "?" in path else "?"
        url = path
        while True:
            page = self.assertStatus((client or self.admin).get(url), 200, "GET " + url)
            out.extend(page["data"])
            if not page["next_cursor"]:
                return out
            url = path + sep + "cursor=" + page["next_cursor"]

    def reviews(self, query="", client=None):
        return self.all("/api/v1/qa-reviews" + query, client)

    def default_template(self):
        rows = self.all("/api/v1/qa-templates?is_default=true")
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def act(self, review_id, action, body, client=None, expect=200):
        return (client or self.c("manager")).post(
            "/api/v1/qa-reviews/%d/%s" % (review_id, action), body, headers={"If-Match": "*"})

    def full_answers(self, template, points=None):
        return [{"item": i, "points": item["weight"] if points is None else points[i]}
                for i, item in enumerate(template["items"])]

    # the scenario, in order (each step builds on the one before)

    def test_1_draw_once_per_week(self):
        self.assertEqual(self.assertStatus(self.admin.get("/api/v1/settings"), 200)
                         ["qa_sample_rate_bp"], 1000)
        tpl = self.default_template()
        self.assertEqual(tpl["name"], "Service order review")
        self.assertEqual([i["label"] for i in tpl["items"]][:2],
                         ["Diagnosis documented", "Customer kept informed"])

        # Tuesday of week 1 (Chicago, winter time)
        self.server.set_clock(now="2030-03-05T15:00:00Z")
        tech1 = [self.finished("tech1", "closed" if i % 3 == 0 else "resolved")
                 for i in range(12)]
        tech2 = [self.finished("tech2") for _ in range(2)]
        # not finished: in progress, and resolved then reopened
        self.assertStatus(self.admin.post("/api/v1/tickets", {
            "subject": "Open work", "company_id": self.company_id,
            "assignee_id": self.uid("tech2")}), 201)
        reopened = self.finished("tech2")
        self.assertStatus(self.admin.patch("/api/v1/tickets/%d" % reopened,
                                           {"status": "in_progress"},
                                           headers={"If-Match": "*"}), 200)
        # the week has not ended: nothing is drawn
        self.draw()
        self.assertEqual(self.reviews(), [])

        # Sunday 23:30 in Chicago (summer time since 02:00): still week 1
        self.server.set_clock(now="2030-03-11T04:30:00Z")
        tech2.append(self.finished("tech2"))
        # Monday 00:30 in Chicago: week 2
        self.server.set_clock(now="2030-03-11T05:30:00Z")
        monday = self.finished("tech2")
        type(self).monday_ticket = monday
        self.draw()

        draws = self.all("/api/v1/qa-draws?week_start=" + WEEK1)
        by_user = {d["user_id"]: d for d in draws}
        self.assertEqual(set(by_user), {self.uid("tech1"), self.uid("tech2")}, draws)
        d1, d2 = by_user[self.uid("tech1")], by_user[self.uid("tech2")]
        self.assertEqual((d1["closed_count"], d1["drawn_count"], d1["rate_bp"]), (12, 2, 1000))
        self.assertEqual((d2["closed_count"], d2["drawn_count"]), (3, 1))
        self.assertEqual(self.all("/api/v1/qa-draws?week_start=" + WEEK2), [])

        reviews = self.reviews()
        self.assertEqual(len(reviews), 3, reviews)
        for r in reviews:
            self.assertEqual(r["status"], "pending")
            self.assertEqual(r["week_start"], WEEK1)
            self.assertIsNone(r["reviewer_id"])
            self.assertIsNone(r["score"])
            self.assertEqual(r["template_id"], tpl["id"])
        mine1 = [r for r in reviews if r["technician_id"] == self.uid("tech1")]
        mine2 = [r for r in reviews if r["technician_id"] == self.uid("tech2")]
        self.assertEqual(len(mine1), 2)
        self.assertEqual(len(mine2), 1)
        self.assertTrue({r["ticket_id"] for r in mine1} <= set(tech1))
        self.assertIn(mine2[0]["ticket_id"], tech2)
        self.assertNotIn(monday, [r["ticket_id"] for r in reviews])
        self.assertTrue(all(r["draw_id"] == d1["id"] for r in mine1))
        # the sample follows from the recorded seed and the tickets finished
        self.assertEqual(sorted(r["ticket_id"] for r in mine1),
                         sample(int(d1["seed"], 16), tech1, 2))
        self.assertEqual([mine2[0]["ticket_id"]], sample(int(d2["seed"], 16), tech2, 1))
        type(self).tech1_tickets = tech1
        type(self).first_reviews = sorted(r["id"] for r in reviews)

        # drawn once: again, and with another rate, nothing more
        self.draw()
        self.settings(qa_sample_rate_bp=10000)
        self.draw()
        self.assertEqual(sorted(r["id"] for r in self.reviews()), self.first_reviews)
        again = self.all("/api/v1/qa-draws?week_start=" + WEEK1)
        self.assertEqual(sorted((d["id"], d["seed"]) for d in again),
                         sorted((d["id"], d["seed"]) for d in draws))

        # rate 0: the draw is off (week 2 ends, nothing drawn) until it is back on
        self.settings(qa_sample_rate_bp=0)
        self.server.set_clock(now="2030-03-18T06:00:00Z")
        self.draw()
        self.assertEqual(self.all("/api/v1/qa-draws?week_start=" + WEEK2), [])
        self.settings(qa_sample_rate_bp=1000)
        self.draw()
        w2 = self.all("/api/v1/qa-draws?week_start=" + WEEK2)
        self.assertEqual([(d["user_id"], d["closed_count"], d["drawn_count"]) for d in w2],
                         [(self.uid("tech2"), 1, 1)])
        r2 = self.reviews("?week_start=" + WEEK2)
        self.assertEqual([r["ticket_id"] for r in r2], [monday])

        # the rate's limits
        status, headers, _ = self.admin.get("/api/v1/settings")
        for bad in (-1, 10001, "10"):
            self.assertProblem(self.admin.patch("/api/v1/settings", {"qa_sample_rate_bp": bad},
                                                headers={"If-Match": headers["etag"]}),
                               422, "qa_sample_rate_bp")

    def test_2_complete_with_score(self):
        tpl = self.default_template()
        review = self.reviews("?technician_id=%d&week_start=%s" % (self.uid("tech1"), WEEK1))[0]
        # weights 20 20 15 20 15 10: 20+10+15+20+0+10 = 75 of 100
        body = {"answers": self.full_answers(tpl, [20, 10, 15, 20, 0, 10]),
                "notes": "Good diagnosis; the client was not told about the delay."}
        done = self.assertStatus(self.act(review["id"], "complete", body), 200)
        self.assertEqual(done["status"], "done")
        self.assertEqual(done["score"], 75)
        self.assertEqual(done["reviewer_id"], self.uid("manager"))
        self.assertEqual(done["notes"], body["notes"])
        self.assertEqual(len(done["checklist"]), len(tpl["items"]))
        self.assertTrue(done["completed_at"].startswith("2030-03-18"))
        # done is done
        self.assertProblem(self.act(review["id"], "complete", body), 409)
        self.assertProblem(self.act(review["id"], "skip", {}), 409)
        # a done review keeps its template and reviewer; it stays about its ticket
        path = "/api/v1/qa-reviews/%d" % review["id"]
        self.assertProblem(self.c("manager").patch(path, {"template_id": None},
                                                   headers={"If-Match": "*"}), 409, "template_id")
        self.assertProblem(self.c("manager").patch(path, {"reviewer_id": self.uid("manager2")},
                                                   headers={"If-Match": "*"}), 409, "reviewer_id")
        # another of tech1's tickets than the one the (random) draw chose
        other = next(t for t in self.tech1_tickets if t != review["ticket_id"])
        self.assertProblem(self.c("manager").patch(path, {"ticket_id": other},
                                                   headers={"If-Match": "*"}), 409, "ticket_id")
        fixed = self.assertStatus(self.c("manager").patch(path, {"notes": "Spoke with them."},
                                                          headers={"If-Match": "*"}), 200)
        self.assertEqual((fixed["notes"], fixed["score"]), ("Spoke with them.", 75))
        # the score is the server's
        self.assertProblem(self.c("manager").patch("/api/v1/qa-reviews/%d" % review["id"],
                                                   {"score": 100},
                                                   headers={"If-Match": "*"}), 422, "score")

        # rounding half away from zero, with another template: 2 of 3 points -> 67
        small = self.assertStatus(self.c("manager").post("/api/v1/qa-templates", {
            "name": unique("Quick check "), "items": [
                {"label": "Notes", "weight": 3, "guidance": "Readable"},
                {"label": "Time", "weight": 3}]}), 201)
        self.assertFalse(small["is_default"])
        other = self.reviews("?technician_id=%d&status=pending&week_start=%s"
                             % (self.uid("tech1"), WEEK1))[0]
        done = self.assertStatus(self.act(other["id"], "complete", {
            "template_id": small["id"],
            "answers": [{"item": 1, "points": 3}, {"item": 0, "points": 1, "comment": "thin"}]}),
            200)
        self.assertEqual(done["score"], 67)
        self.assertEqual(done["template_id"], small["id"])

    def test_3_bad_answers(self):
        tpl = self.default_template()
        review = self.reviews("?technician_id=%d&week_start=%s" % (self.uid("tech2"), WEEK1))[0]
        rid = review["id"]
        full = self.full_answers(tpl)
        # an item left out
        self.assertProblem(self.act(rid, "complete", {"answers": full[:-1]}), 422, "answers")
        # points above the item's weight (the last weighs 10)
        over = [dict(a) for a in full]
        over[5]["points"] = 11
        self.assertProblem(self.act(rid, "complete", {"answers": over}), 422,
                           "answers[5].points")
        # an item the template does not have, and one answered twice
        extra = full + [{"item": 6, "points": 1}]
        self.assertProblem(self.act(rid, "complete", {"answers": extra}), 422, "answers[6].item")
        twice = full + [{"item": 0, "points": 1}]
        self.assertProblem(self.act(rid, "complete", {"answers": twice}), 422, "answers[6].item")
        # malformed answers
        self.assertProblem(self.act(rid, "complete", {"answers": [{"item": 0}]}), 422)
        self.assertProblem(self.act(rid, "complete", {"answers": [{"item": 0, "points": -1}]}),
                           422)
        self.assertProblem(self.act(rid, "complete", {"answers": "all good"}), 422, "answers")
        self.assertProblem(self.act(rid, "complete", {}), 422, "answers")
        self.assertProblem(self.act(rid, "complete", {"answers": full, "score": 100}), 422,
                           "score")
        # an unknown template
        self.assertProblem(self.act(rid, "complete", {"answers": full, "template_id": 999999}),
                           422, "template_id")
        # nothing changed
        cur = self.assertStatus(self.admin.get("/api/v1/qa-reviews/%d" % rid), 200)
        self.assertEqual((cur["status"], cur["score"]), ("pending", None))
        # skipped, with a reason
        skipped = self.assertStatus(self.act(rid, "skip", {"notes": "Duplicate ticket"}), 200)
        self.assertEqual((skipped["status"], skipped["reviewer_id"], skipped["notes"]),
                         ("skipped", self.uid("manager"), "Duplicate ticket"))
        self.assertProblem(self.act(rid, "complete", {"answers": full}), 409)

    def test_4_no_review_of_ones_own_work(self):
        tpl = self.default_template()
        # a manager who worked a ticket themselves
        ticket = self.finished("manager2")
        made = self.assertStatus(self.c("manager2").post("/api/v1/qa-reviews",
                                                         {"ticket_id": ticket}), 201)
        self.assertEqual(made["technician_id"], self.uid("manager2"))
        self.assertEqual(made["template_id"], tpl["id"])
        self.assertIsNone(made["draw_id"])
        self.assertEqual(made["status"], "pending")
        body = self.assertProblem(self.act(made["id"], "complete",
                                           {"answers": self.full_answers(tpl)},
                                           client=self.c("manager2")), 409, "reviewer_id")
        self.assertIn("T-", body["errors"][0]["message"])
        self.assertProblem(self.c("manager").patch(
            "/api/v1/qa-reviews/%d" % made["id"], {"reviewer_id": self.uid("manager2")},
            headers={"If-Match": "*"}), 409, "reviewer_id")
        # a technician is no reviewer
        self.assertProblem(self.c("manager").patch(
            "/api/v1/qa-reviews/%d" % made["id"], {"reviewer_id": self.uid("tech1")},
            headers={"If-Match": "*"}), 422, "reviewer_id")
        # another manager takes it and completes it
        taken = self.assertStatus(self.c("manager").patch(
            "/api/v1/qa-reviews/%d" % made["id"], {"reviewer_id": self.uid("manager")},
            headers={"If-Match": "*"}), 200)
        self.assertEqual(taken["reviewer_id"], self.uid("manager"))
        done = self.assertStatus(self.act(made["id"], "complete",
                                          {"answers": self.full_answers(tpl)}), 200)
        self.assertEqual(done["score"], 100)
        # one review per ticket (unless skipped); a ticket nobody worked has none to review
        self.assertProblem(self.c("manager").post("/api/v1/qa-reviews", {"ticket_id": ticket}),
                           409, "ticket_id")
        unassigned = self.assertStatus(self.admin.post("/api/v1/tickets", {
            "subject": "Nobody's", "company_id": self.company_id}), 201)
        self.assertProblem(self.c("manager").post("/api/v1/qa-reviews",
                                                  {"ticket_id": unassigned["id"]}),
                           422, "ticket_id")
        self.assertProblem(self.c("manager").post("/api/v1/qa-reviews", {"ticket_id": 999999}),
                           422, "ticket_id")
        self.assertProblem(self.c("manager").post("/api/v1/qa-reviews", {}), 422, "ticket_id")
        self.assertProblem(self.c("manager").post("/api/v1/qa-reviews", {
            "ticket_id": ticket, "technician_id": self.uid("tech1")}), 422, "technician_id")

    def test_5_roles(self):
        tech1, tech2 = self.c("tech1"), self.c("tech2")
        mine = self.reviews(client=tech1)
        self.assertTrue(mine)
        self.assertTrue(all(r["technician_id"] == self.uid("tech1") for r in mine))
        # even when asking for another's
        self.assertEqual(self.reviews("?technician_id=%d" % self.uid("tech2"), client=tech1), [])
        theirs = self.reviews("?technician_id=%d" % self.uid("tech2"))[0]
        self.assertProblem(tech1.get("/api/v1/qa-reviews/%d" % theirs["id"]), 404)
        self.assertStatus(tech2.get("/api/v1/qa-reviews/%d" % theirs["id"]), 200)
        # technicians review nothing and change nothing
        self.assertProblem(tech1.post("/api/v1/qa-reviews",
                                      {"ticket_id": self.tech1_tickets[0]}), 403)
        self.assertProblem(self.act(mine[0]["id"], "skip", {}, client=tech1), 403)
        self.assertProblem(tech1.patch("/api/v1/qa-reviews/%d" % mine[0]["id"], {"notes": "x"},
                                       headers={"If-Match": "*"}), 403)
        self.assertProblem(tech1.get("/api/v1/qa-draws"), 403)
        self.assertProblem(tech1.get("/api/v1/reports/qa"), 403)
        # sales and billing see nothing of the reviews
        for name in ("sales", "billing"):
            c = self.c(name)
            self.assertProblem(c.get("/api/v1/qa-reviews"), 403)
            self.assertProblem(c.get("/api/v1/qa-reviews/%d" % theirs["id"]), 403)
            self.assertProblem(c.get("/api/v1/reports/qa"), 403)
            self.assertProblem(c.get("/api/v1/qa-draws"), 403)
        # the templates: staff read, managers write
        self.assertTrue(self.all("/api/v1/qa-templates", self.c("sales")))
        self.assertTrue(self.all("/api/v1/qa-templates", tech1))
        self.assertProblem(tech1.post("/api/v1/qa-templates", {
            "name": "Mine", "items": [{"label": "x", "weight": 1}]}), 403)

    def test_6_templates(self):
        old = self.default_template()
        m = self.c("manager")
        for items, field in (([], "items"), ([{"label": "x", "weight": 0}], None),
                             ([{"label": "x", "weight": 101}], None),
                             ([{"label": "", "weight": 5}], None),
                             ([{"weight": 5}], None),
                             ([{"label": "x", "weight": 5, "colour": "red"}], None)):
            self.assertProblem(m.post("/api/v1/qa-templates", {"name": unique("Bad "),
                                                               "items": items}), 422, field)
        new = self.assertStatus(m.post("/api/v1/qa-templates", {
            "name": unique("Field visit "), "description": "On-site work",
            "items": [{"label": "Site left clean", "weight": 50},
                      {"label": "Safety check signed", "weight": 50}],
            "is_default": True}), 201)
        self.assertTrue(new["is_default"])
        # the default moved: one at a time
        self.assertEqual(self.default_template()["id"], new["id"])
        self.assertFalse(self.assertStatus(
            self.admin.get("/api/v1/qa-templates/%d" % old["id"]), 200)["is_default"])
        self.assertProblem(m.post("/api/v1/qa-templates", {
            "name": unique("Off "), "items": [{"label": "x", "weight": 1}],
            "active": False, "is_default": True}), 422, "is_default")
        # and back
        back = self.assertStatus(m.patch("/api/v1/qa-templates/%d" % old["id"],
                                         {"is_default": True}, headers={"If-Match": "*"}), 200)
        self.assertTrue(back["is_default"])
        self.assertEqual(self.default_template()["id"], old["id"])

    def test_7_report(self):
        m = self.c("manager")
        rep = self.assertStatus(m.get("/api/v1/reports/qa?from=2030-03-01&to=2030-04-01"), 200)
        self.assertEqual((rep["group"], rep["by"], rep["from"]), ("technician", None,
                                                                  "2030-03-01"))
        rows = {r["technician_id"]: r for r in rep["rows"]}
        t1 = rows[self.uid("tech1")]
        self.assertEqual((t1["done"], t1["pending"], t1["skipped"]), (2, 0, 0))
        self.assertEqual(t1["average_score"], 71)	# (75 + 67) / 2
        self.assertEqual(t1["technician_name"], "Tech1")
        t2 = rows[self.uid("tech2")]
        self.assertEqual((t2["done"], t2["pending"], t2["skipped"], t2["average_score"]),
                         (0, 1, 1, None))
        # per week, per month, and a series per technician
        weeks = self.assertStatus(m.get("/api/v1/reports/qa?group=week"), 200)["rows"]
        # the manual review of test 4 is of work finished in week 3
        self.assertEqual([w["period"] for w in weeks], [WEEK1, WEEK2, "2030-03-18"])
        self.assertEqual([(w["done"], w["skipped"], w["pending"]) for w in weeks],
                         [(2, 1, 0), (0, 0, 1), (1, 0, 0)])
        months = self.assertStatus(m.get("/api/v1/reports/qa?group=month&from=2030-01-01"),
                                   200)["rows"]
        self.assertEqual([(r["period"], r["done"], r["pending"]) for r in months],
                         [("2030-03", 3, 1)])
        series = self.assertStatus(m.get("/api/v1/reports/qa?group=technician&by=week"),
                                   200)["rows"]
        self.assertIn({"technician_id": self.uid("tech2"), "technician_name": "Tech2",
                       "period": WEEK2, "done": 0, "skipped": 0, "pending": 1,
                       "average_score": None}, series)
        # an empty period
        self.assertEqual(self.assertStatus(m.get("/api/v1/reports/qa?to=2030-01-01"), 200)
                         ["rows"], [])
        for q in ("group=client", "by=day", "group=week&by=month", "from=2030-04-01&to=2030-03-01",
                  "from=March", "colour=red"):
            self.assertProblem(m.get("/api/v1/reports/qa?" + q), 400)


if __name__ == "__main__":
    unittest.main()
