"""A small self-written archive for the tests of incremental lists: four subjects, six stories
each, published in turn over three weeks.

Each subject has a vocabulary of its own; every story also carries one sentence of the
newsroom's everyday words (the council, a spokesperson, next month), shared by all subjects, so
a model fitted on the first few stories alone gives those words more weight than they deserve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Piece:
    key: str
    subject: str
    title: str
    body: str
    age: timedelta  # how long ago it was published


TITLES = {
    "flood": [
        "Flood defence plan for the River Wend goes to consultation",
        "Embankment work begins beside the Wend at Millbrook",
        "Flood wall behind Old Quay car park delayed by ground survey",
        "Residents of Millbrook meet flood engineers at the church hall",
        "Tidal gate for the Wend harbour mouth arrives by barge",
        "Flood defences hold as the Wend reaches a record height",
    ],
    "football": [
        "Harrowgate Rovers sign a striker from the Welsh league",
        "Rovers keep a clean sheet in a goalless derby",
        "Goalkeeper's penalty save sends Rovers into the cup quarter-final",
        "Rovers manager signs a two-year contract extension",
        "Floodlights at Rovers' ground fail during the second half",
        "Rovers promoted after a last-minute winner at home",
    ],
    "hospital": [
        "Bay hospital opens a new maternity unit with twelve beds",
        "Nurses at Bay hospital report long waits in the emergency department",
        "Hospital trust recruits forty nurses from overseas",
        "Surgeons at Bay hospital perform the first keyhole knee operation",
        "Hospital car park charges scrapped for patients' visitors",
        "Ward closures at Bay hospital blamed on a shortage of doctors",
    ],
    "school": [
        "Pupils at Quayside Academy move into the new science block",
        "Exam results at Quayside Academy best for a decade",
        "Teachers vote on a timetable of shorter lessons",
        "Primary school pupils plant an orchard in the playground",
        "Headteacher of Quayside Academy to retire after twenty years",
        "School inspectors praise reading lessons at St Mary's primary",
    ],
}

SENTENCES = {
    "flood": [
        "Engineers say the embankment will protect four hundred homes from flooding.",
        "The river burst its banks twice last winter and flooded the low-lying streets.",
        "Sandbags and pumps are stored at the depot for the next flood warning.",
        "The flood wall is built of reinforced concrete faced with local stone.",
        "Environment officers measure the river level every hour during storms.",
        "Insurers have refused flood cover to some households by the river.",
        "The tidal gate closes at high water so the river cannot back up into town.",
        "Residents whose homes flooded want the defences finished before winter.",
    ],
    "football": [
        "The striker scored twice in the first half and the fans sang his name.",
        "The manager praised the defenders after the goalless draw away from home.",
        "The goalkeeper saved a penalty in the last minute of the match.",
        "Season ticket sales rose after the club's best league start in years.",
        "The referee sent off a midfielder for a second yellow card.",
        "The squad trains on the new pitch at the club's training ground.",
        "The club captain signed a new contract until the end of next season.",
        "Supporters travelled by coach to the away match in the cup.",
    ],
    "hospital": [
        "Patients waited up to nine hours to be seen in the emergency department.",
        "Nurses on the wards say they care for too many patients on each shift.",
        "The hospital trust hopes new doctors will shorten waiting lists for surgery.",
        "A consultant surgeon said the operation lets patients go home the same day.",
        "Midwives will deliver babies in the new unit from the spring.",
        "The chief nurse said patients deserved a bed rather than a trolley.",
        "Outpatient clinics will open on Saturdays to cut the waiting list.",
        "Doctors from overseas start on the wards after an induction course.",
    ],
    "school": [
        "Pupils will study chemistry and physics in the new laboratories.",
        "Teachers said the pupils worked hard for their exams all year.",
        "The headteacher thanked parents for supporting the school's reading scheme.",
        "Inspectors watched lessons and spoke to pupils about homework.",
        "The school library opens at lunchtime so pupils can read and revise.",
        "Teachers' union members will meet the governors about the timetable.",
        "Parents raised money for laptops that pupils can borrow for homework.",
        "Pupils in the sixth form help younger children with their reading.",
    ],
}

# The newsroom's everyday words, the same whatever the subject.
EVERYDAY = [
    "A Harrowgate Bay council spokesperson said residents would hear more next month.",
    "Harrowgate Bay council will publish a report for residents later this year.",
    "Residents of Harrowgate Bay can ask questions at the town hall on Tuesday evening.",
    "Harrowgate Bay councillors said residents would be told more at the next meeting.",
    "The mayor of Harrowgate Bay said the council welcomed the news for residents.",
    "Residents will find details on the Harrowgate Bay council website next week.",
]

ORDER = ["flood", "football", "hospital", "school"]


def corpus() -> list[Piece]:
    """The 24 stories, oldest first: the subjects take turns, one story a day or so."""
    pieces: list[Piece] = []
    for n in range(6):
        for s, subject in enumerate(ORDER):
            pool = SENTENCES[subject]
            body = " ".join(
                [pool[(2 * n) % 8], EVERYDAY[n], pool[(2 * n + 1) % 8], EVERYDAY[(n + s + 1) % 6]]
            )
            position = n * len(ORDER) + s
            pieces.append(
                Piece(
                    key=f"{subject}-{n}",
                    subject=subject,
                    title=TITLES[subject][n],
                    body=f"<p>{body}</p>",
                    age=timedelta(days=24 - position, hours=1),
                )
            )
    return pieces
