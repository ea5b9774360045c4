"""English function words that say nothing about what a story is about.

Written for newsdesk: articles, pronouns, auxiliaries, prepositions, conjunctions, and the
reporting verbs and time words that fill every news story regardless of subject.
"""

STOPWORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at back be became because become becomes becoming been before beforehand
    behind being below beside besides between beyond both but by can cannot could did do does
    doing done down during each either else elsewhere enough even ever every everyone
    everything everywhere except few for former formerly from further had has have having he
    hence her here hereafter hereby herein hers herself him himself his how however i if in
    indeed into is it its itself just last latter latterly least less many may me meanwhile
    might mine more moreover most mostly much must my myself namely neither never nevertheless
    next no nobody none nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps please quite rather really
    same seem seemed seeming seems several she should since so some somehow someone something
    sometime sometimes somewhere still such than that the their theirs them themselves then
    thence there thereafter thereby therefore therein thereupon these they this those though
    through throughout thru thus to together too toward towards under until up upon us very
    via was we well were what whatever when whence whenever where whereafter whereas whereby
    wherein whereupon wherever whether which while whither who whoever whole whom whose why
    will with within without would yet you your yours yourself yourselves
    said says say saying told tell tells asked added according new news reported report reports
    year years month months week weeks day days today yesterday tomorrow time times
    monday tuesday wednesday thursday friday saturday sunday
    mr mrs ms dr its it's don't doesn't didn't isn't wasn't aren't weren't can't won't
    also get got make made going go goes went come came take took like including
    two three four five six seven eight nine ten first second third
    """.split()
)
