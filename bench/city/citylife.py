"""The life of one synthetic request, played forward from its filing and cut at `now`.

Each request follows the workflow's own moves (submit, accept, respond,
escalate, extension, resolve, reopen, close; some are cancelled, merged or
returned) and stops at the first step that would fall after `now`, so its
state, timestamps and stored clocks agree the way the services would have
left them. Work is done inside its deadlines, so nothing is overdue at `now`
except the `due_now` requests.
The `due_now` requests are the ones a sweep running every minute would find:
a quarter each of acceptance warnings, acceptance breaches, resolution warnings
and resolution breaches that came due in the last minute before `now`, every
earlier mark recorded. Times are epoch seconds until the row is written.
"""
import base64
from datetime import datetime, timedelta

from community.tickets.services import CODE_ALPHABET

HOUR, DAY = 3600, 86400
EPOCH = datetime(1970, 1, 1)
TIERS = ("grid", "community", "street", "county")
LEVEL = (1, 1, 2, 3)
KINDS = (("help", 35), ("consult", 20), ("complaint", 25), ("suggestion", 12), ("report", 8))
CHANNELS = (("web", 45), ("api", 15), ("hotline", 20), ("grid_worker", 15), ("walk_in", 5))
RESULTS = (("solved", 80), ("partly", 15), ("not_solvable", 5))
# How often each category is filed, by code; unknown codes weigh 3.
CATEGORY_WEIGHT = {"UTL": 14, "ENV": 14, "PRP": 12, "LIF": 8, "MED": 7, "SAF": 5, "ELD": 6,
                   "FAC": 6, "GOV": 5, "HLT": 4, "AID": 3, "EMP": 3, "EDU": 3, "LAW": 3,
                   "CHD": 2, "DIS": 2, "CUL": 2, "PRO": 2, "VOL": 1}
PROBLEMS = ["楼道灯坏了，晚上看不见", "小区垃圾清运不及时，有异味", "停水一整天了，没有通知",
            "楼上漏水到我家天花板", "路边井盖松动，存在安全隐患", "邻居装修噪音太大",
            "想咨询老年人助餐怎么办理", "小区门口占道经营", "电梯经常停运", "希望增设健身器材",
            "孩子入学材料怎么准备", "独居老人需要上门探访", "下水道堵塞，污水外溢"]
TICKET_COLUMNS = [
    "id", "tracking_code", "kind", "category_id", "text", "text_public", "urgency", "state",
    "tier", "level", "handling_unit_id", "assignee_id", "grid_id", "community_id", "street_id",
    "county_id", "address", "resident_id", "contact_name", "contact_phone", "filed_by_id",
    "channel", "submitted_at", "arrived_at", "accepted_at", "first_response_at", "resolved_at",
    "closed_at", "response_due_at", "accept_due_at", "resolve_due_at", "next_due_at", "result",
    "result_note", "merged_into_id", "extension_count", "reopen_count", "updated_at", "version"]
# Written when the database has them (the SLA sweep's cursor, migration 0005).
TICKET_SLA_COLUMNS = ["sla_check_at", "sla_flags", "resolve_started_at", "latitude", "longitude"]
EVENT_COLUMNS = ["id", "ticket_id", "at", "actor_id", "action", "from_state", "to_state",
                 "unit_id", "note", "public"]
EXTENSION_COLUMNS = ["ticket_id", "requested_by_id", "requested_at", "days", "reason", "state",
                     "decided_by_id", "decided_at", "decision_note", "old_due_at", "new_due_at"]
DUE_MODES = ("accept_warning", "accept_breach", "resolve_warning", "resolve_breach")
_B32 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CODE_ALPHABET.encode())


def _table(pairs):
    cumulative, total = [], 0
    for _value, weight in pairs:
        total += weight
        cumulative.append(total)
    return [v for v, _w in pairs], cumulative, total


_utc = datetime.utcfromtimestamp  # naive UTC, as the columns store it; C-fast


def stamp(seconds):
    return None if seconds is None else _utc(seconds)


class Deadlines:
    """add_working_days for epoch seconds, cached by local day (the zone has no DST)."""

    def __init__(self, is_working_day, utc_offset: int):
        self.is_working_day, self.offset, self._cache = is_working_day, utc_offset, {}

    def after(self, seconds, days):
        day = int((seconds + self.offset) // DAY)
        key = (day, days)
        end = self._cache.get(key)
        if end is None:
            d, counted = day, 0
            while counted < days:
                d += 1
                if self.is_working_day((EPOCH + timedelta(days=d)).date()):
                    counted += 1
            end = self._cache[key] = (d + 1) * DAY - self.offset
        return end

    def extend(self, due, days):
        return self.after(due - 1, days)


class LifeMaker:
    def __init__(self, city, categories, terms, deadlines, now, rng, warn_ratio=0.75,
                 reopen_days=7):
        self.city, self.rng, self.now, self.deadlines = city, rng, now, deadlines
        self.categories = [c for c in categories]
        self.cat_table = _table([(c, CATEGORY_WEIGHT.get(c["code"], 3)) for c in categories])
        self.kinds, self.channels, self.results = _table(KINDS), _table(CHANNELS), _table(RESULTS)
        self.terms = terms  # (sla class, category id) -> (response h, accept h, unit, amount)
        self.warn_ratio, self.reopen_s = warn_ratio, reopen_days * DAY
        self.last_in_grid = {}
        self.first_resident, self.residents = city.residents
        self.extensions = []  # rows for extension_requests, drained by the caller
        self.codes = []
        self.ratings = None  # a bench.city.cityratings.RatingMaker when the tables exist

    def _pick(self, table):
        values, cumulative, total = table
        x = self.rng.random() * total
        for value, edge in zip(values, cumulative):
            if x < edge:
                return value
        return values[-1]

    def _staff(self, unit):
        people = self.city.staff[unit]
        return people[int(self.rng.random() * len(people))]

    def _resolve_due(self, terms, start):
        _response, _accept, unit, amount = terms
        if unit == "hours":
            return start + amount * HOUR
        return self.deadlines.after(start, amount)

    def _unit_at(self, place, tier, duty):
        if tier == 3 and (duty or self.rng.random() < 0.5):
            departments = self.city.departments[place[3]]
            return departments[int(self.rng.random() * len(departments))]
        return place[tier]

    def make(self, tid, sub, stall=None):
        """The ticket row and its events; `stall` (one of DUE_MODES) makes it a due one."""
        r = self.rng.random
        cat = self._pick(self.cat_table)
        kind = self._pick(self.kinds)
        urgent = (stall or "").startswith("resolve") or \
            r() < (0.3 if cat["sla_class"] == "urgent" else 0.02)
        sla_class = "urgent" if urgent else cat["sla_class"]
        terms = self.terms[(sla_class, cat["id"])]
        accept_s = terms[1] * HOUR
        mark = accepted = None
        if stall:  # came due within the last minute, every earlier mark recorded
            mark = self.now - 50 * r()
            ratio = self.warn_ratio if stall.endswith("warning") else 1.0
            if stall.startswith("accept"):
                sub = mark - ratio * accept_s
            else:
                length = terms[3] * HOUR if terms[2] == "hours" else 7 * DAY
                accepted = mark - ratio * length
                sub = accepted - 0.5 * accept_s
        place = self.city.grids[int(r() * len(self.city.grids))]
        grid = place[0]
        stages = [TIERS.index(cat["default_tier"])]
        if stall is None:
            while stages[-1] < 3 and r() < (0.12 if len(stages) == 1 else 0.25):
                stages.append(stages[-1] + 1)
        channel = self._pick(self.channels)
        if channel in ("web", "api") or r() < 0.4:
            index = int(r() * self.residents) if self.residents else None
            resident = None if index is None else self.first_resident + index
            phone = "" if index is None else f"15{index:09d}"
        else:
            resident, phone = None, f"13{int(r() * 1e9):09d}"
        filer = None if channel in ("web", "api") else self._staff(grid if channel == "grid_worker"
                                                                   else place[1])
        if resident is None and filer is None:
            filer = self._staff(place[1])
            channel = "hotline"
        events = []
        unit = self._unit_at(place, stages[0], cat["department_duty"])
        tier = stages[0]
        s = {"state": "submitted", "unit": unit, "tier": tier, "level": LEVEL[tier],
             "arrived": sub, "accepted": None, "assignee": None, "responded": None,
             "resolved": None, "closed": None, "accept_due": sub + accept_s, "resolve_due": None,
             "result": None, "merged_into": None, "ext": 0, "reopen": 0, "updated": sub,
             "tid": tid, "resolutions": [], "resolve_started": None, "response_due": sub + terms[0] * HOUR,
             "mark": mark, "due_accept": accepted}

        def emit(at, actor, action, to_state=None, public=True, unit=None):
            events.append((at, actor, action, s["state"] if to_state else None, to_state,
                           unit or s["unit"], public))
            if to_state:
                s["state"] = to_state
            s["updated"] = at

        emit(sub, resident if filer is None else filer, "submit", "submitted")
        events[0] = events[0][:3] + (None,) + events[0][4:]
        self._play(s, emit, r, stages, place, cat, terms, accept_s, kind, resident, grid, stall)
        self.last_in_grid[grid] = tid
        if self.ratings is not None and s["resolutions"]:
            self.ratings.add(tid, s["resolutions"], place, cat["id"], resident, s["unit"])
        return self._row(tid, s, cat, kind, urgent, place, resident, phone, filer, channel,
                         sub, events, stall)

    def _play(self, s, emit, r, stages, place, cat, terms, accept_s, kind, resident, grid,
              stall):
        now = self.now
        if stall:
            if stall.startswith("resolve"):
                staffer, t = self._staff(s["unit"]), s["due_accept"]
                emit(t, staffer, "accept", "accepted")
                s["accepted"], s["assignee"], s["responded"] = t, staffer, t
                s["resolve_due"], s["resolve_started"] = self._resolve_due(terms, t), t
            return
        fate = r()
        if fate < 0.02:  # cancelled by the resident before 签收
            t = s["arrived"] + (0.05 + 0.4 * r()) * accept_s
            if t <= now:
                emit(t, resident, "cancel", "cancelled")
            return
        if fate < 0.03 and self.last_in_grid.get(grid):  # a duplicate of an earlier request
            t = s["arrived"] + (0.05 + 0.5 * r()) * accept_s
            if t <= now:
                emit(t, self._staff(s["unit"]), "merge", "merged", public=False)
                s["merged_into"] = self.last_in_grid[grid]
            return
        if fate < 0.045:  # 退单 then re-routed to the same unit by the dispatcher
            t = s["arrived"] + (0.05 + 0.1 * r()) * accept_s
            if t > now:
                return
            emit(t, self._staff(s["unit"]), "return", "returned")
            t += (0.05 + 0.1 * r()) * accept_s
            if t > now:
                return
            emit(t, self._staff(self.city.parent.get(s["unit"], s["unit"])), "reroute",
                 "submitted", public=False)
            s["arrived"], s["accept_due"] = t, t + accept_s
        for i, tier in enumerate(stages):
            last = i == len(stages) - 1
            unit = s["unit"]
            staffer = self._staff(unit)
            if last and kind == "consult" and r() < 0.3:  # answered on the spot
                t = s["arrived"] + (0.05 + 0.5 * r()) * accept_s
                if t > now:
                    return
                s["accepted"], s["assignee"] = t, staffer
                s["responded"] = s["responded"] or t
                self._resolve(s, emit, t, staffer, r)
                return self._after_resolve(s, emit, t, r, terms, resident, staffer)
            t = s["arrived"] + (0.02 + 0.68 * r()) * accept_s
            if t > now:
                return
            emit(t, staffer, "accept", "accepted")
            s["accepted"], s["assignee"] = t, staffer
            s["responded"] = s["responded"] or t
            s["resolve_due"], s["resolve_started"] = self._resolve_due(terms, t), t
            t += 300 + 0.1 * r() * (s["resolve_due"] - t)
            if t > now:
                return
            emit(t, staffer, "respond", "in_progress")
            if not last:
                t += (0.05 + 0.4 * r()) * (s["resolve_due"] - t)
                if t > now:
                    return
                nxt = stages[i + 1]
                target = self._unit_at(place, nxt, cat["department_duty"])
                emit(t, staffer, "escalate", "escalated", unit=target)
                s.update(unit=target, tier=nxt, level=max(s["level"], LEVEL[nxt]), arrived=t,
                         accepted=None, assignee=None, accept_due=t + accept_s, resolve_due=None,
                         resolve_started=None)
                continue
            if r() < 0.05 and not self._extension(s, emit, t, staffer, r, terms):
                return
            t += (0.1 + 0.8 * r()) * (s["resolve_due"] - t)
            if t > now:
                return
            self._resolve(s, emit, t, staffer, r)
            return self._after_resolve(s, emit, t, r, terms, resident, staffer)

    def _extension(self, s, emit, t, staffer, r, terms):
        """延期 asked between respond and resolve; False when `now` cuts it short."""
        now = self.now
        asked = t + (0.2 + 0.4 * r()) * (s["resolve_due"] - t)
        if asked > now:
            return False
        emit(asked, staffer, "extension_requested", public=False)
        days = 3 + int(r() * 8)
        decided = asked + HOUR + 0.3 * r() * (s["resolve_due"] - asked)
        supervisor = self._staff(self.city.parent.get(s["unit"], s["unit"]))
        old = s["resolve_due"]
        row = [s["tid"], staffer, stamp(asked), days, "需协调多个部门，申请延期",
               "pending", None, None, "", None, None]
        self.extensions.append(row)
        if decided > now:
            return False
        if r() < 0.85:
            new = self.deadlines.extend(old, days) if terms[2] != "hours" else old + days * DAY
            emit(decided, supervisor, "extension_approved")
            s["resolve_due"], s["ext"] = new, s["ext"] + 1
            row[5:] = ["approved", supervisor, stamp(decided), "同意", stamp(old), stamp(new)]
        else:
            emit(decided, supervisor, "extension_rejected", public=False)
            row[5:] = ["rejected", supervisor, stamp(decided), "请按期办结", None, None]
        return True

    def _resolve(self, s, emit, t, staffer, r):
        emit(t, staffer, "resolve", "resolved")
        s["resolved"], s["result"] = t, self._pick(self.results)
        s["resolutions"].append([t, s["resolve_due"], s["unit"], staffer, s["result"], None])

    def _after_resolve(self, s, emit, t, r, terms, resident, staffer):
        now = self.now
        if s["reopen"] == 0 and r() < 0.03:  # 重办: the resident disputes the result
            t += HOUR + 4 * DAY * r()
            if t > now:
                return
            emit(t, resident, "reopen", "reopened")
            s["resolutions"][-1][5] = t
            s.update(reopen=1, result=None, resolved=None, resolve_due=self._resolve_due(terms, t),
                     resolve_started=t)
            t += 300 + 0.1 * r() * (s["resolve_due"] - t)
            if t > now:
                return
            emit(t, staffer, "respond", "in_progress")
            t += (0.1 + 0.8 * r()) * (s["resolve_due"] - t)
            if t > now:
                return
            self._resolve(s, emit, t, staffer, r)
        t += self.reopen_s  # the sweep closes it when the reopen window ends
        if t <= now:
            emit(t, None, "close", "closed")
            s["closed"] = t

    def _row(self, tid, s, cat, kind, urgent, place, resident, phone, filer, channel, sub, events,
             stall):
        state = s["state"]
        waiting = state in ("submitted", "escalated", "returned")
        working = state in ("accepted", "in_progress", "reopened")
        clocks = []  # (start, due, warned bit, breached bit), as community.clock.deadlines keeps them
        if waiting or working:
            if s["responded"] is None:
                clocks.append((sub, s["response_due"], 1, 2))
            if waiting:
                clocks.append((s["arrived"], s["accept_due"], 4, 8))
            if working and s["resolve_due"]:
                clocks.append((s["resolve_started"], s["resolve_due"], 16, 32))
        next_due = min(c[1] for c in clocks) if clocks else None
        flags, marks = 0, []
        # The sweep has recorded every mark before now (before its mark, for a due one).
        recorded = self.now if stall is None else s["mark"] - 0.001
        for start, due, warned, breached in clocks:
            warn_at = start + (due - start) * self.warn_ratio if start < due else due
            if warn_at <= recorded:
                flags |= warned
            if due <= recorded:
                flags |= breached
            if not flags & warned:
                marks.append(warn_at)
            elif not flags & breached:
                marks.append(due)
        if state == "resolved":
            marks.append(s["resolved"] + self.reopen_s)
        if not self.codes:  # 80 random bits each, encoded a batch at a time
            block = base64.b32encode(self.rng.randbytes(10 * 4096)).translate(_B32).decode()
            self.codes = [block[i:i + 16] for i in range(0, len(block), 16)]
        code = self.codes.pop()
        text = PROBLEMS[int(self.rng.random() * len(PROBLEMS))]
        house = 1 + int(self.rng.random() * 6)
        row = (tid, code, kind, cat["id"], text, self.rng.random() < 0.3,
               "urgent" if urgent else "normal", state, TIERS[s["tier"]], s["level"], s["unit"],
               s["assignee"], place[0], place[1], place[2], place[3],
               f"{self.city.names[place[1]]}{house}号楼", resident, "", phone, filer, channel,
               stamp(sub), stamp(s["arrived"]), stamp(s["accepted"]), stamp(s["responded"]),
               stamp(s["resolved"]), stamp(s["closed"]), stamp(s["response_due"]),
               stamp(s["accept_due"]), stamp(s["resolve_due"]), stamp(next_due), s["result"],
               "" if s["result"] in (None, "solved") else "已尽力协调，部分诉求超出职责范围",
               s["merged_into"], s["ext"], s["reopen"], stamp(s["updated"]), len(events),
               stamp(min(marks)) if marks else None, flags, stamp(s["resolve_started"]),
               *self.city.point(place[0], tid))
        return row, events
