"""好差评 for the synthetic city: a resolution row per 办结, ratings on most of them
(差评 about 6–8 %, most reopenings follow one), a 整改 case per 差评 and a few appeals.

Written only when the database has the tables (migration 0006); rows follow
community.ratings: one rating per resolution, a case opened at the rating with
its callback and close deadlines in working days.
"""
from bench.city.citylife import DAY, HOUR, _table, stamp

LEVELS = (("very_satisfied", 46), ("satisfied", 31), ("basic", 18), ("dissatisfied", 3),
          ("very_dissatisfied", 2))
BAD = ("dissatisfied", "very_dissatisfied")
SOLVED = {"solved": "yes", "partly": "partly", "not_solvable": "no"}
RESOLUTION_COLUMNS = ["id", "ticket_id", "resolved_at", "due_at", "in_time", "reopened_at",
                      "unit_id", "handler_id", "category_id", "grid_id", "community_id",
                      "street_id", "county_id"]
RATING_COLUMNS = ["id", "resolution_id", "ticket_id", "rated_at", "solved", "level", "comment",
                  "rater_id", "excluded", "grid_id", "community_id", "street_id", "county_id",
                  "handling_unit_id", "resolution_unit_id"]
CASE_COLUMNS = ["rating_id", "ticket_id", "community_id", "street_id", "county_id", "state",
                "opened_at", "start_due_at", "close_due_at", "callback_at", "callback_by_id",
                "callback_reached", "callback_note", "outcome", "outcome_at", "outcome_by_id",
                "outcome_note", "closed_at", "closed_by_id", "review_note", "check_at",
                "handling_unit_id"]
APPEAL_COLUMNS = ["rating_id", "street_id", "state", "reason", "filed_at", "filed_by_id",
                  "decided_at", "decided_by_id", "decision_note", "handling_unit_id"]


class RatingMaker:
    def __init__(self, maker, first_resolution: int, first_rating: int, start_days=1,
                 close_days=5):
        self.maker, self.rng, self.now = maker, maker.rng, maker.now
        self.levels = _table(LEVELS)
        self.resolution_id, self.rating_id = first_resolution, first_rating
        self.start_days, self.close_days = start_days, close_days
        self.rows = {"resolutions": [], "ratings": [], "rectification_cases": [], "appeals": []}
        self.handling_unit = None  # the request's being added (add)

    def add(self, tid, resolutions, place, cat_id, resident, handling_unit):
        """`resolutions`: [resolved_at, due_at, unit, handler, result, reopened_at] per 办结;
        `handling_unit`: the request's at the end (ratings, cases and appeals carry it)."""
        self.handling_unit = handling_unit
        r = self.rng.random
        for resolved, due, unit, handler, result, reopened in resolutions:
            rid = self.resolution_id
            self.resolution_id += 1
            self.rows["resolutions"].append((
                rid, tid, stamp(resolved), stamp(due), due is None or resolved <= due,
                stamp(reopened), unit, handler, cat_id, place[0], place[1], place[2], place[3]))
            if reopened is not None:
                if r() > 0.7:
                    continue
                rated, level = resolved + (0.3 + 0.6 * r()) * (reopened - resolved), \
                    BAD[int(r() * 2)]
            else:
                if r() > 0.65:
                    continue
                rated = resolved + HOUR / 2 + 6 * DAY * r()
                level = self.maker._pick(self.levels)
            if rated > self.now:
                continue
            self._rating(rid, tid, place, rated, level, SOLVED.get(result, "partly"), resident,
                         handler, unit)

    def _rating(self, rid, tid, place, rated, level, solved, resident, handler, unit):
        r = self.rng.random
        rating = self.rating_id
        self.rating_id += 1
        bad = level in BAD
        excluded = False
        if bad and handler is not None and r() < 0.04:  # 申诉 by the handler
            filed = rated + DAY * r()
            if filed <= self.now:
                decided = filed + 2 * DAY * r()
                street_staff = self.maker._staff(place[2])
                if decided <= self.now:
                    excluded = r() < 0.4
                    self.rows["appeals"].append((
                        rating, place[2], "upheld" if excluded else "rejected", "恶意差评",
                        stamp(filed), handler, stamp(decided), street_staff,
                        "核实属实" if excluded else "评价与办理相关", self.handling_unit))
                else:
                    self.rows["appeals"].append((rating, place[2], "pending", "恶意差评",
                                                 stamp(filed), handler, None, None, "",
                                                 self.handling_unit))
        self.rows["ratings"].append((rating, rid, tid, stamp(rated),
                                     "no" if bad and solved == "yes" else solved, level,
                                     "处理太慢" if bad else "", resident, excluded, *place[:4],
                                     self.handling_unit, unit))
        if bad:
            self._case(rating, tid, place, rated)

    def _case(self, rating, tid, place, opened):
        r = self.rng.random
        after = self.maker.deadlines.after
        start_due, close_due = after(opened, self.start_days), after(opened, self.close_days)
        community_staff, street_staff = self.maker._staff(place[1]), self.maker._staff(place[2])
        row = [rating, tid, place[1], place[2], place[3], "open", stamp(opened),
               stamp(start_due), stamp(close_due), None, None, None, "", None, None, None, "",
               None, None, ""]
        callback = opened + (0.1 + 0.8 * r()) * (start_due - opened)
        if callback <= self.now:
            row[5], row[9:13] = "called_back", [stamp(callback), community_staff, True, "已回访"]
            outcome = callback + (0.1 + 0.5 * r()) * (close_due - callback)
            if outcome <= self.now:
                row[5], row[13:17] = "answered", ["explain", stamp(outcome), community_staff,
                                                  "已向居民说明情况"]
                closed = outcome + (0.1 + 0.5 * r()) * (close_due - outcome) * (3 if r() < 0.1 else 1)
                if closed <= self.now:
                    row[5], row[17:20] = "closed", [stamp(closed), street_staff, "同意结案"]
        # An open case's clocks: the first sweep replays them from the opening (as 0011 does).
        row.append(None if row[5] == "closed" else stamp(opened))
        row.append(self.handling_unit)
        self.rows["rectification_cases"].append(tuple(row))
