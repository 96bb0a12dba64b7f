"""`python -m autograder VERB`: one subcommand per step of the grading workflow."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.catalog import DEMO_LAB, LABS
from autograder.course import Course, GradingError
from data_prep import DataPrepError

NO_SANDBOX = ("run student code (and the held-out scorer) outside the sandbox, with your "
              "files, network and memory, as plain nbgrader does")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="Release, collect, grade and export the labs.")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the course directory, with nbgrader_config.py (default: .)")
    parser.add_argument("--db-url", metavar="URL",
                        help="the gradebook's database, e.g. postgresql://user@host/db "
                             "(default: nbgrader_config.py's db_url, else gradebook.db)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("release", help="generate the student version of a lab into release/LAB")
    p.add_argument("lab")

    p = verbs.add_parser("collect", help="bring submissions into submitted/STUDENT/LAB")
    p.add_argument("lab")
    p.add_argument("--from", dest="source", type=Path, required=True,
                   help="a folder or an LMS zip of submissions")
    p.add_argument("--replace", action="store_true",
                   help="archive an earlier collection of the same student and collect again")

    p = verbs.add_parser("grade", help="autograde, then judge the probes and score held-out "
                                       "artifacts")
    p.add_argument("lab")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                   help="notebooks graded at once on this machine (default: half the CPU "
                        "cores)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="grade on this Dask cluster instead (its workers need the course at "
                        "the same path, this venv, and a --db-url they can reach)")
    p.add_argument("--regrade", "--force", action="store_true",
                   help="grade again what is already graded (default: only what is not)")
    p.add_argument("--time-limit", type=int, metavar="SECONDS",
                   help="stop a notebook after this long (default: the lab's, 900 s)")
    p.add_argument("--no-sandbox", action="store_true", help=NO_SANDBOX)

    p = verbs.add_parser("score", help="only the judge and the held-out step, after a plain "
                                       "`nbgrader autograde`")
    p.add_argument("lab")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.add_argument("--no-sandbox", action="store_true", help=NO_SANDBOX)

    p = verbs.add_parser("feedback", help="per-student HTML feedback without hidden test source")
    p.add_argument("lab")
    p.add_argument("--student", action="append", help="only this student (repeatable)")

    p = verbs.add_parser("report", help="reports/LAB.html: how the class did (grade writes "
                                        "it too)")
    p.add_argument("lab")

    p = verbs.add_parser("export", help="one CSV row per student with lab scores and course grade")
    p.add_argument("--out", type=Path, default=Path("grades.csv"))

    p = verbs.add_parser("demo", help="the whole workflow in a scratch course, end to end")
    p.add_argument("--dir", type=Path, default=Path("demo_course"),
                   help="scratch course folder, replaced on each run (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=2)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--lab", action="append", choices=sorted(LABS),
                       help=f"this lab (repeatable; default: {DEMO_LAB}, which has every kind "
                            "of sample submission, in about 4 minutes)")
    which.add_argument("--all", action="store_true", help="every lab (about 20 minutes)")

    args = parser.parse_args(argv)
    try:
        return VERBS[args.verb](args)
    except (GradingError, DataPrepError) as err:
        print(f"autograder: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: what was running was stopped
        print(f"autograder: interrupted: run `{args.verb}` again to go on", file=sys.stderr)
        return 130


def _course(args) -> Course:
    return Course.at(args.course, args.db_url)


def _release(args) -> int:
    from autograder.release import release
    folder = release(_course(args), args.lab)
    print(f"released {args.lab} into {folder}")
    return 0


def _collect(args) -> int:
    from autograder.collect import collect
    report = collect(_course(args), args.lab, args.source, replace=args.replace)
    for student, notebooks in report.collected.items():
        print(f"collected {student}: {', '.join(notebooks)}")
    for student, reason in report.skipped:
        print(f"skipped {student}: {reason}")
    for name, reason in report.rejected:
        print(f"rejected {name}: {reason}")
    return 0 if report.collected or not (report.rejected or report.skipped) else 1


def _grade(args) -> int:
    from autograder.grade import grade
    from autograder.report import write_report
    from autograder.summary import score_table
    course = _course(args)
    if args.scheduler and not course.db_url.startswith("postgresql"):
        print("autograder: note: Dask workers on other machines need a gradebook they can "
              "reach: pass --db-url postgresql://...", file=sys.stderr)
    results = grade(course, args.lab, args.student, jobs=args.jobs,
                    sandboxed=not args.no_sandbox, time_limit_s=args.time_limit,
                    regrade=args.regrade, scheduler=args.scheduler, progress=True)
    print(score_table(course.lab(args.lab), results))
    # the report covers every student: reuse the results only when all were graded now
    print(f"class report: {write_report(course, args.lab, None if args.student else results)}")
    return 1 if any(r.pending for r in results) else 0


def _report(args) -> int:
    from autograder.report import write_report
    print(write_report(_course(args), args.lab))
    return 0


def _score(args) -> int:
    from autograder import gradebook
    from autograder.grade import answer_keys, require_sandbox, score
    from autograder.grade.lock import lab_lock
    course = _course(args)
    lab = course.lab(args.lab)
    require_sandbox(not args.no_sandbox, print)
    with lab_lock(course, lab.name):
        keys = answer_keys(course, lab, not args.no_sandbox)
        failed = 0
        for student in args.student or course.students(lab.name):
            try:
                problems = score(course, lab, student, keys, sandboxed=not args.no_sandbox)
            except Exception as err:  # noqa: BLE001 -- one student's scoring, not the batch
                failed += 1
                print(f"{student}: not scored ({type(err).__name__}: {err})")
                continue
            total = sum(s for s, _ in
                        gradebook.notebook_scores(course, lab.name, student).values())
            print(f"{student}: {total:g} points" + "".join(f"\n  {p}" for p in problems))
    return 1 if failed else 0


def _feedback(args) -> int:
    from autograder.feedback import feedback
    pages = feedback(_course(args), args.lab, args.student)
    for page in pages:
        print(page)
    return 0


def _export(args) -> int:
    from autograder.export import export
    course = _course(args)
    out = export(course, args.out if args.out.is_absolute() else course.root / args.out)
    print(f"wrote {out}")
    return 0


def _demo(args) -> int:
    from autograder.demo import run_demo
    return run_demo(args.dir.resolve(), jobs=args.jobs,
                    only=None if args.all else args.lab or [DEMO_LAB])


VERBS = {"release": _release, "collect": _collect, "grade": _grade,
         "score": _score, "report": _report, "feedback": _feedback, "export": _export,
         "demo": _demo}
