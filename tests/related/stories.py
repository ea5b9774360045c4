"""Hand-written stories for the related-stories tests.

Three subjects that share no vocabulary on purpose (a river flood scheme, a football club, a
hospital), three stories each, so "clearly related" is obvious to a reader.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    key: str
    subject: str
    title: str
    dek: str
    body: str
    topic: str


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


STORIES = [
    Story(
        "flood-approved",
        "flood",
        "Kelbridge flood barrier scheme approved",
        "The River Avenmore will get a tidal barrier and raised embankments.",
        _p(
            "Councillors approved a twelve million pound flood defence scheme for the River "
            "Avenmore after homes in Kelbridge were flooded twice in three winters.",
            "The Environment Agency says the barrier and embankments will protect four hundred "
            "riverside homes from flooding.",
        ),
        "Environment",
    ),
    Story(
        "flood-works",
        "flood",
        "Work starts on River Avenmore flood defences",
        "Diggers arrive on the Kelbridge riverbank.",
        _p(
            "Contractors began building the embankments along the River Avenmore this week, "
            "the first stage of the Kelbridge flood defence scheme.",
            "The tidal barrier will be installed next spring; riverside paths will close "
            "while the flood walls are built.",
        ),
        "Environment",
    ),
    Story(
        "flood-cost",
        "flood",
        "Cost of Kelbridge flood scheme rises",
        "Residents question the price of the Avenmore barrier.",
        _p(
            "The flood defence scheme for the River Avenmore will cost three million pounds "
            "more than planned, the Environment Agency admitted.",
            "Riverside residents who were flooded in Kelbridge said the barrier was still "
            "worth building before the next winter floods.",
        ),
        "Environment",
    ),
    Story(
        "rovers-striker",
        "football",
        "Harwick Rovers sign striker from Porto",
        "The club breaks its transfer record for a forward.",
        _p(
            "Harwick Rovers have signed the striker Tiago Mendes from Porto for a club record "
            "transfer fee.",
            "The manager said the forward would score the goals the team needs to win "
            "promotion this season.",
        ),
        "Sport",
    ),
    Story(
        "rovers-manager",
        "football",
        "Harwick Rovers sack manager after defeat",
        "Fans had called for change after the club's sixth league defeat.",
        _p(
            "Harwick Rovers dismissed their manager after a home defeat left the club "
            "bottom of the league.",
            "The striker Tiago Mendes, signed in the summer, has scored only twice; the "
            "club will appoint a new manager before the next match.",
        ),
        "Sport",
    ),
    Story(
        "rovers-tickets",
        "football",
        "Rovers fans protest over ticket prices",
        "Supporters march to the Harwick stadium.",
        _p(
            "Hundreds of Harwick Rovers supporters marched to the stadium before the match "
            "to protest against season ticket prices.",
            "The club said the price of a season ticket in the league was still below "
            "average and the manager thanked the fans for their support.",
        ),
        "Sport",
    ),
    Story(
        "hospital-waits",
        "hospital",
        "St Aldhelm's hospital A&E waits worst in region",
        "Patients waited up to fourteen hours in the emergency department.",
        _p(
            "Patients at St Aldhelm's hospital waited longer in the emergency department "
            "than anywhere else in the region, figures show.",
            "Doctors said a shortage of nurses and beds on the wards meant patients were "
            "treated on trolleys in corridors.",
        ),
        "Health",
    ),
    Story(
        "hospital-ward",
        "hospital",
        "New cancer ward opens at St Aldhelm's hospital",
        "Thirty beds for patients having chemotherapy.",
        _p(
            "A cancer ward with thirty beds opened at St Aldhelm's hospital, so patients "
            "no longer travel to the city for chemotherapy.",
            "Nurses and doctors on the ward said the new beds would ease pressure on the "
            "emergency department.",
        ),
        "Health",
    ),
    Story(
        "hospital-strike",
        "hospital",
        "Nurses at St Aldhelm's hospital vote to strike",
        "The union says wards are dangerously short of staff.",
        _p(
            "Nurses at St Aldhelm's hospital voted to strike over pay and staffing on the "
            "wards, their union said.",
            "Hospital managers said patients in the emergency department and on the cancer "
            "ward would still be treated during the strike.",
        ),
        "Health",
    ),
]
# A fourth flood story, published later in the tests.
NEW_FLOOD = Story(
    "flood-new",
    "flood",
    "Avenmore flood barrier opens in Kelbridge",
    "The tidal barrier protects riverside homes.",
    _p(
        "The flood defence scheme on the River Avenmore is finished: embankments and a "
        "barrier now protect Kelbridge homes that flooded."
    ),
    "Environment",
)
SUBJECT = {story.key: story.subject for story in [*STORIES, NEW_FLOOD]}


def repost_of(story: Story) -> Story:
    """The same story posted again with a corrected figure and a changed headline word."""
    return Story(
        story.key + "-repost",
        story.subject,
        story.title.replace("approved", "given the go-ahead"),
        story.dek,
        story.body.replace("twelve million", "thirteen million").replace(
            "four hundred", "four hundred and fifty"
        ),
        story.topic,
    )
