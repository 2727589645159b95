"""The English news-style words speaker_guess.py reads attributions by: reporting verbs,
the words that may stand between a name and its verb, titles, name particles, capitalised
words that are never names, where a name ends, and quotation marks."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


REPORTING_VERBS = _words(
    """said says say told tells added adds denied denies claimed claims insisted insists
    stated states argued argues warned warns noted notes explained explains announced
    announces alleged alleges wrote writes tweeted tweets posted asserted asserts
    maintained maintains acknowledged acknowledges admitted admits confirmed confirms
    stressed stresses urged urges replied replies responded responds suggested suggests
    declared declares charged contended contends countered counters recalled recalls
    revealed reveals testified commented comments continued continues concluded
    concludes cautioned cautions predicted predicts promised promises vowed vows boasted
    conceded concedes accused accuses remarked remarks emphasised emphasized emphasises
    emphasizes insisting saying adding"""
)
# "said Kirby", never "told Kirby" (Kirby is whom it was told to).
VERBS_BEFORE_NAME = _words(
    """said says added adds noted notes explained insisted continued wrote writes asked
    asks stated argued warned concluded recalled replied responded remarked"""
)
# Between a name and its verb: "Kirby also said", "Kirby has repeatedly denied".
BETWEEN = _words(
    """also later then has had have again further previously repeatedly reportedly
    flatly strongly firmly publicly once earlier separately quickly angrily simply
    bluntly"""
)
TITLES = _words(
    """mr mrs ms miss mx dr prof sir dame lord lady rev fr sen rep gen col maj capt lt
    gov pres amb hon"""
)
PARTICLES = _words("de del della der den di da du dos das van von la le ter ten bin ibn al el y")
# Capitalised words that are not names: pronouns, articles and the like at the start of a
# sentence, days, and the plural nouns news stories open with ("Officials said").
NOT_NAMES = _words(
    """i he she it we you they his her its our their him them me us this that these
    those there here the a an and but or so yet if when while as after before since
    then also however meanwhile still now today yesterday tomorrow what who whom which
    why how where some many most few all both each every any no not none one two
    monday tuesday wednesday thursday friday saturday sunday officials analysts experts
    critics residents witnesses police authorities sources observers lawmakers diplomats
    reports researchers scientists doctors people others spokesman spokeswoman
    spokesperson minister president secretary"""
)
# Where a name after "said" / "according to" ends at the latest.
STOPS = _words(
    """on in at during after before from to for with when while as that who which whose
    adding and but or because if although though than via by about over under"""
)
QUOTES = '"“”„‟«»‹›「」『』'
OPENING = "“„‟«‹「『"
CLOSING = "”»›」』"
