"""The detail tables that sources write into the Results (``<source>_<name>``), as data.

Read by :mod:`evalkit.results.schema`, which turns each entry into a
:class:`~evalkit.results.schema.TableSchema`; the format of an entry is
``(name, meaning, keys, columns)`` with ``columns`` one column a line,
``name[?] meaning``, or a line of :data:`DETAIL_GLOSSARY` names only (their meaning is the
glossary's; ``?`` marks an optional column, and a key that is one only when present). Columns
named in :data:`evalkit.results.schema.GLOSSARY` (``period``, ``unit_id``, ...) may also be
listed without a meaning. Kept apart so the schema module stays readable; nothing else
should read this module.
"""

from __future__ import annotations

#: Meanings of the columns that several detail tables share.
DETAIL_GLOSSARY: dict[str, str] = {
    "n": "respondents (ballots) with a valid answer in the cell",
    "n_eff": "effective sample size (Kish; equals n when unweighted)",
    "n_answers": "valid answers in the cell",
    "rate": "satisfaction rate (share of satisfied answers), 0–1",
    "rate_lo": "lower end of the rate's interval",
    "rate_hi": "upper end of the rate's interval",
    "mean_points": "mean answer points, 0–100",
    "points_se": "standard error of mean_points (respondent-clustered)",
    "points_lo": "lower end of mean_points' interval",
    "points_hi": "upper end of mean_points' interval",
    "suppressed": "True when n_eff is below the minimum: estimates not published",
    "degenerate": "True when a published interval is a convention, not the method's own: "
                  "zero width (points: bounded-mean Wilson interval instead) or clipped to "
                  "its scale",
    "n_dont_know": "'don't know' answers (not in the denominator)",
    "n_blank": "blank answers (not in the denominator)",
    "questionnaire": "id of the questionnaire",
    "group": "respondent group (e.g. residents, businesses)",
    "ballot_id": "id of the ballot (one respondent's answers to one questionnaire)",
    "respondent_id": "id of the respondent",
    "box": "ballot box, when the responses name one",
    "row": "row of the ballot in the responses table",
    "closure_rate": "tasks closed (on time or late) / tasks planned",
    "on_time_rate": "tasks closed on time / tasks planned",
    "closed_on_time": "tasks closed by their due month",
    "closed_late": "tasks closed after their due month",
    "open": "tasks still open at the as-of month",
    "rater_group": "group of the raters (e.g. townships, departments, leaders)",
    "round": "rating round",
    "rater_id": "id of the rater (one ballot per rater and round)",
}

_CELL = """
    n n_eff n_answers rate rate_lo rate_hi mean_points points_se points_lo points_hi
    suppressed degenerate n_dont_know n_blank
"""
_BALLOT = """
    period ballot_id respondent_id questionnaire group box? row
    n_answers answer rows of the ballot
"""

#: ``(name, meaning, keys, columns)`` of every detail table, grouped by source.
DETAIL_TABLES: list[tuple[str, str, str, str]] = [
    ("leaders_detail", "Leaders' evaluation per unit.", "period unit_id", """
        period unit_id
        score mean of the leaders' scores
        n_raters leaders who rated the unit
        sd standard deviation of their scores"""),
    ("tasks_yearly", "Task ledger per unit and period, and the task score.", "period unit_id", """
        period unit_id
        planned tasks due in the period
        closed tasks closed (on time or late)
        closed_on_time closed_late open closure_rate on_time_rate
        highlights highlighted tasks (亮点工作)
        penalty escalation penalty points
        n_{level} tasks that reached that escalation level
        base closure points: scale × (on time + late credit × late) / planned
        bonus highlight bonus (capped)
        task_points base − penalty + bonus, clipped to [0, scale]
        score task_points on 0–100"""),
    ("tasks_monthly", "Task ledger per unit and due month (cohorts by due month).",
     "period unit_id month", """
        period unit_id
        month due month within the period (1–12)
        planned tasks due that month
        closed_on_time closed_late open closure_rate on_time_rate
        rolled_over tasks not closed by the end of that month
        backlog tasks due by that month and not closed by its end"""),
    ("tasks_ledger", "One row per task of the ledger.", "period unit_id task_id", """
        period unit_id
        task_id id of the task
        planned month planned (within the period)
        due month due
        closed month closed (NaN: open)
        highlight True for highlighted work
        rolled_over months the task was carried over
        status on_time, late, open or not_due
        months_overdue months late (closed late, or still open)
        escalation highest escalation level reached ('' none)
        penalty points deducted for the task"""),
    ("tasks_progress", "Schedule progress of key projects per month.",
     "period project_id month", """
        period unit_id
        project_id id of the key project
        project_name? name of the project
        month month within the period (1–12)
        planned_pct planned cumulative progress, %
        actual_pct actual cumulative progress, %
        lag planned_pct − actual_pct, percentage points
        status traffic light: green, yellow or red"""),
    ("survey_by_unit", "Satisfaction survey per unit (groups weighted).", "period unit_id",
     "period unit_id category" + _CELL + """
        n_groups respondent groups used for the unit
        groups_missing groups required but unavailable (no responses or suppressed)
        effective_weights the groups' effective weights, 'group: weight; ...'
        score survey score 0–100 (NaN: suppressed)"""),
    ("survey_by_group", "Satisfaction survey per unit and respondent group.",
     "period unit_id group", "period unit_id group" + _CELL + """
        group_label name of the group (Chinese)
        group_label_en name of the group in English
        weight declared weight of the group
        effective_weight weight after unavailable groups are left out
        status ok, suppressed or no_responses"""),
    ("survey_by_item", "Satisfaction survey per unit, group and question.",
     "period unit_id group questionnaire item",
     "period unit_id group questionnaire" + _CELL + """
        item id of the question
        item_label the question (Chinese)
        item_label_en the question in English
        scale answer scale of the question"""),
    ("survey_audit", "Excluded ballots, one row each, with the rule that excluded it.",
     "period ballot_id", _BALLOT + """
        reason code of the first exclusion rule that applies
        reason_zh the reason in Chinese
        reason_en the reason in English
        detail what the rule found"""),
    ("survey_boxes", "Ballots issued, returned, valid and excluded per box.",
     "period questionnaire group box?", """
        period questionnaire group box?
        issued ballots issued (NaN: unknown)
        returned ballots returned
        valid valid ballots
        unmarked unmarked ballots (abstentions)
        excluded ballots excluded
        void True when more ballots were returned than issued: the box is void
        return_rate returned / issued"""),
    ("survey_reliability", "Internal consistency of each questionnaire.",
     "period questionnaire", """
        period questionnaire
        label name of the questionnaire (Chinese)
        label_en name of the questionnaire in English
        k_items questions
        n_cases ballots answering every question
        alpha Cronbach's α
        alpha_lo lower end of α's interval (Feldt)
        alpha_hi upper end of α's interval"""),
    ("survey_ranking", "Survey ranking with shrinkage and rank intervals.", "period unit_id", """
        period unit_id category n_eff
        estimate satisfaction after empirical-Bayes shrinkage
        rank rank of the estimate within the category
        rank_lo best plausible rank
        rank_hi worst plausible rank
        p_first probability of ranking first
        n_ranked units ranked
        tied_with units not significantly different"""),
    ("survey_flags", "Careless-response checks per ballot.", "period ballot_id", _BALLOT + """
        seconds_per_item seconds spent per question (NaN: unknown)
        flag_straight_lining the same answer to every question
        flag_duplicate_respondent the respondent answered twice
        flag_duplicate_content the same answers as another ballot
        flag_too_fast fewer seconds per question than the minimum
        status valid or excluded
        reason exclusion reason code ('' valid)"""),
    ("peer_units", "Peer rating per unit under the chosen scheme.", "period unit_id", """
        period unit_id
        score peer score, 0–100 (NaN: too few raters)
        raw the scheme's raw output
        n_raters raters who rated the unit
        scheme the scoring scheme
        mean mean rating received
        sd standard deviation of the ratings
        min lowest rating
        max highest rating"""),
    ("peer_received", "Ratings each unit received, per rater group (box summary).",
     "period unit_id rater_group", """
        period unit_id rater_group
        n ratings received
        mean mean rating
        sd standard deviation
        min lowest rating
        q1 first quartile
        median median rating
        q3 third quartile
        max highest rating"""),
    ("peer_raters", "Rater diagnostics against the others' consensus.",
     "period round rater_id", """
        period round rater_id rater_group
        n_rated units rated
        leniency mean rating − consensus (positive: lenient)
        consistency correlation with the consensus
        resid_sd standard deviation of rating − consensus
        constant True for a ballot giving every unit the same rating"""),
    ("peer_reliability", "Reliability of the peer rating per period.", "period", """
        period
        n_ballots ballots
        n_ratings ratings
        icc1 ICC(1): reliability of one rating
        icc1k ICC(1,k): reliability of the mean rating
        alpha_interval Krippendorff's α (interval)
        alpha_ordinal Krippendorff's α (ordinal)
        reciprocity correlation of mutual ratings above consensus (collusion signal)"""),
    ("peer_pairs", "Pairs of units rating each other.", "period unit_a unit_b", """
        period
        unit_a first unit
        unit_b second unit
        d_ab how far a rated b above the consensus (SD units)
        d_ba how far b rated a above the consensus (SD units)
        mutual True when both are above the threshold (mutual favour)"""),
    ("peer_audit", "Excluded ratings and ballots, one row per exclusion.",
     "period round rater_id", """
        period round rater_id
        ratee_id the rated unit
        rule code of the rule that excluded it
        reason the reason, in words
        action what was done (excluded, ...)"""),
]

#: Detail tables of records: several rows may share the keys.
RECORD_TABLES: frozenset[str] = frozenset({"peer_audit"})
