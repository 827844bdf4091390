"""Phrase rules in twenty more languages, and the words that name suicide as a topic in all of them.

``PHRASES`` are first-person wishes to die in languages ``languages`` does not cover (Polish, Turkish,
Russian, Ukrainian, Hindi in Latin script, Arabic, Chinese, Japanese, Korean and a dozen more): few and
unambiguous, for messages too short for the learned layer ("我想死", "死にたい"); the learned layer reads
the rest. ``TOPIC`` is the noun "suicide" in every language the screen knows: a rule hit that is only
that noun ("an essay on suicide", "intihar") is weighed by the learned layer (``screen``).
"""

from __future__ import annotations

import re

PHRASES: list[tuple[str, str]] = [
    ("pl", r"(?<!nie )\bchce (?:\w+ )?(?:umrzec|sie zabic)\b|\bzabije sie\b|odebrac sobie zycie|nie chce (?:juz )?zyc\b"),
    ("tr", r"\bolmek istiyorum|kendimi oldur\w*|canima kiy\w*|yasamak istemiyorum|intihar ed(?:ecegim|cem|iyorum)"),
    ("ru", r"(?<!не )хочу умереть|хочу сдохнуть|поконч\w* с собой|(?:убить|убью) себя|не хочу (?:больше )?жить|"
           r"жить не хочу|хочу померти|не хочу (?:більше )?жити|ya hochu umeret"),
    ("hi", r"\b(?:marna|mrna|mar jana|khudkushi|suicide|sucide) (?:karna |krna )?(?:chahta|chahti|hai mujhe|h mujhe|"
           r"kar lunga|kar lungi|karunga|karungi)\b|mujhe mar jana hai|jeena nahi chahta|jeena nahi chahti"),
    ("ar", r"(?<!لا )(?:أريد|اريد|بدي|نفسي|ابي|أبي) (?:أن )?(?:أموت|اموت|موت|انتحر|أنتحر)|سأنتحر|(?:سأقتل|ساقتل|أقتل) نفسي|"
           r"(?:انهي|أنهي|سأنهي) حياتي"),
    ("zh", r"(?<!不)想死(?!你|我了)|不想活|活不下去|(?:想|要)自杀|了结自己|结束(?:我的)?生命"),
    ("ja", r"死にたい(?!わけじゃ|わけでは)|消えたい|自殺したい|生きていたくない|生きたくない"),
    ("ko", r"죽고 ?싶(?!은 건 아니)|자살하고 ?싶|살기 ?싫|사라지고 ?싶"),
    ("other", r"\bmuon (?:chet|tu tu)\b|gusto ko (?:nang|na) mamatay|\bvill do\b|ta livet av mig|\bvreau sa mor\b|"
              r"\bchci umrit\b|θελω να πεθανω|میخوام بمیرم|می‌خوام بمیرم|רוצה למות|אני רוצה להתאבד|อยากตาย|"
              r"\bnataka kufa\b|\bpengen mati aja\b|\bingin mati\b|\bjeg vil do\b|\bhaluan kuolla\b|\bmeg akarok halni\b|"
              r"\bvull morir\b|\bzelim (?:da )?umr(?:ij)?eti\b|\bhocu da umrem\b|искам да умра|\bchcem zomriet\b"),
    # the topic nouns below, so that a message naming suicide in any of these languages reaches the screen
    ("topic", r"samob[oó]jstw\w*|\bintihar\w*|самоубийств\w*|суицид\w*|самогубств\w*|\bbunuh diri\b|\bbundir\b|"
              r"\bkhudkushi\b|\baatmahatya\b|انتحار|الانتحار|自杀|自殺|자살|\btu tu\b|\bpagpapakamatay\b|"
              r"\bsj[aä]lvmord\w*|\bsinucider\w*|\bsebevra[zž]d\w*|αυτοκτονι\w*|خودکشی|התאבדות|ฆ่าตัวตาย|\bkujiua\b"),
]

# The noun alone, in every language the rules know.
TOPIC = re.compile(
    r"suicides?|suicidio|suicidios|suicidi|selbstmord(?:rate|statistik)?|suizid(?:rate|statistik|forschung|pr(?:ae|a)vention)?|zelfmoord|samob[oó]jstw\w*|intihar\w*|самоубийств\w*|"
    r"суицид\w*|самогубств\w*|bunuh diri|bundir|khudkushi|aatmahatya|انتحار|الانتحار|自杀|自殺|자살|tu tu|"
    r"pagpapakamatay|sj[aä]lvmord\w*|sinucider\w*|sebevra[zž]d\w*|αυτοκτονι\w*|خودکشی|התאבדות|ฆ่าตัวตาย|kujiua"
)
