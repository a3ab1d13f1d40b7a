"""
test_tokens.py - API tokens through HTTP: everyone makes, lists and revokes
their own; admins anyone's; the secret is shown once and works at once.
"""

import unittest

from harness import ServerTestCase, unique

TECH_PASSWORD = "Tech-Pass-For-Tests-0nly-91!"


class TokensTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tech_email = unique("tech") + "@example.com"
        cls.server.add_user(cls.tech_email, "technician", TECH_PASSWORD)
        cls.tech = cls.server.session(cls.tech_email, TECH_PASSWORD)

    def test_own_tokens(self):
        status, _, made = self.tech.post("/api/v1/tokens", {"name": "monitoring bridge",
                                                            "expires_days": 30})
        self.assertEqual(status, 201, made)
        self.assertTrue(made["token"].startswith("svo_"))
        self.assertRegex(made["expires_at"], r"^\d{4}-\d\d-\d\dT")
        # the secret works at once, as its user
        prog = self.server.client(made["token"])
        status, _, me = prog.get("/api/v1/me")
        self.assertEqual((status, me["user"]["email"]), (200, self.tech_email))
        # listed without its secret or hash
        status, _, page = self.tech.get("/api/v1/tokens")
        self.assertEqual(status, 200)
        mine = [t for t in page["data"] if t["id"] == made["id"]]
        self.assertEqual(len(mine), 1)
        self.assertNotIn("token", mine[0])
        self.assertNotIn("token_hash", mine[0])
        self.assertIsNone(mine[0]["revoked_at"])
        # only their own
        self.assertEqual({t["user_id"] for t in page["data"]}, {made["user_id"]})
        self.assertProblem(self.tech.get("/api/v1/tokens?user_id=1"), 403)
        self.assertProblem(self.tech.post("/api/v1/tokens", {"name": "x", "user_id": 1}), 403)
        # revoked, it stops working
        status, _, _ = self.tech.delete("/api/v1/tokens/%d" % made["id"])
        self.assertEqual(status, 204)
        self.assertProblem(prog.get("/api/v1/me"), 401)
        self.assertProblem(self.tech.delete("/api/v1/tokens/%d" % made["id"]), 404)

    def test_admin_manages_anyones(self):
        status, _, users = self.admin.get("/api/v1/users?email=" + self.tech_email)
        uid = users["data"][0]["id"]
        status, _, made = self.admin.post("/api/v1/tokens", {"name": "for the tech",
                                                             "user_id": uid})
        self.assertEqual(status, 201, made)
        self.assertIsNone(made["expires_at"])
        status, _, page = self.admin.get("/api/v1/tokens?user_id=%d" % uid)
        self.assertIn(made["id"], [t["id"] for t in page["data"]])
        # a technician cannot touch the admin's tokens: they look like none
        status, _, own = self.admin.post("/api/v1/tokens", {"name": "admin's"})
        self.assertProblem(self.tech.delete("/api/v1/tokens/%d" % own["id"]), 404)
        self.assertEqual(self.admin.delete("/api/v1/tokens/%d" % made["id"])[0], 204)

    def test_bad_input(self):
        for body, field in (({}, "name"), ({"name": ""}, "name"),
                            ({"name": "x", "expires_days": 0}, "expires_days"),
                            ({"name": "x", "expires_days": "soon"}, "expires_days"),
                            ({"name": "x", "colour": 1}, "colour"),
                            ({"name": "x", "user_id": 99999999}, "user_id")):
            self.assertProblem(self.admin.post("/api/v1/tokens", body), 422, field)
        self.assertProblem(self.admin.delete("/api/v1/tokens/abc"), 404)
        self.assertProblem(self.admin.delete("/api/v1/tokens/99999999"), 404)


if __name__ == "__main__":
    unittest.main()
