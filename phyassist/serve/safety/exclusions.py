"""What the crisis screen blanks out before its phrase rules run: idioms and sincere denials.

``IDIOMS`` are harmless senses of crisis words ("to die for", "killed it at karaoke", "je meurs de
faim"); ``DENIALS`` are sincere denials ("I'm not suicidal"), no denial inside a ``FRAME`` ("I can't
say I'm not suicidal" stays a signal).
"""

from __future__ import annotations

import re

from .english import SELF

IDIOMS = [
    # English: dying/killing as exaggeration, harmless senses of shoot/hang/jump/cut/burn/overdose
    r"(?:to|could|would) die for|dying (?:to|for|of)\b|die (?:of|from) (?:laugh\w*|embarrassment|shame|boredom|"
    r"cringe|happiness|cuteness|excitement|envy|jealousy)|die laughing|(?:laughed|laughing|laugh) (?:so hard )?"
    r"(?:until|till|til) i (?:died|cried|peed)|i'?m dead(?: ?(?:lol|lmao|haha|xd|\W))|i'?m deceased|dead (?:tired|"
    r"serious|set|on|end|ringer|battery|phone|line|weight|heat|calm)|(?:phone|battery|laptop|car|plant|plants|"
    r"fish|party|conversation|wifi|signal) (?:is |was |just |has |had )?(?:dead|died|dying)",
    r"(?:kill|killed|killing|smash|smashed|smashing|nail|nailed|slay|slayed|slaying|crush|crushed) (?:it|that|this)\b|"
    r"(?:is|are|was|were|'s|'re|s) (?:\w+ )?(?:killing|murdering) me\b|(?:kill|killed|killing) (?:time|the (?:lights|"
    r"music|engine|mood|vibe|bugs?|spider|process))|(?:could|would|i'?d) (?:kill|murder) (?:for|a) |"
    r"killed me\b|(?:almost|nearly|basically|practically|literally) (?:killed|died|dying|killing|died of)|"
    r"(?:kill|killed|killing) (?:him|her|them|you|my (?:brother|sister|boss|mom|mum|dad|roommate|husband|wife|"
    r"boyfriend|girlfriend|kids?|partner|teacher|coach)) (?:if|when|for|lol|haha)",
    r"shoot (?:me )?(?:a |an )?(?:text|message|msg|email|dm|line|note)|shoot me (?:a|an)|"
    r"hang(?:ing)? (?:out|up|on|in there|around|with|loose|tight|the (?:picture|painting|laundry|clothes|lights|"
    r"decorations))|jump(?:ing|ed)? (?:on|at|in|into|to|the gun|for joy|through hoops|rope|ship|ahead|right in|"
    r"off the (?:deep end|diving board|high dive|couch|bed))",
    r"(?:cut|cutting|burn|burned|burnt|burning|hit|hurt|hurting|injured|scratched|scratch|nicked|bang|banged) "
    + SELF + r" (?:while|when|on|by|shaving|chopping|cooking|slicing|baking|ironing|at (?:work|the gym|practice|"
    r"training)|accidentally|playing|running|falling|during|in the (?:kitchen|garden|game)|with (?:a|the|my) "
    r"(?:knife|razor|paper|scissors|kitchen|oven|pan|iron|curling)|again (?:shaving|cooking)|lifting|"
    r"at the|off from|out of|short)|" + SELF + r" (?:a |some )?(?:break|slack|time|a treat|space)|"
    r"cut " + SELF + r" off|(?:cut|cutting) (?:my|the) (?:hair|nails|bangs|losses|fringe|carbs|sugar)",
    r"(?:overdos\w*|od'?d|o\.d\.) on (?:coffee|caffeine|chocolate|sugar|candy|netflix|tv|anime|cake|cookies|"
    r"pizza|sleep|work|love|drama|memes|tiktok|youtube|gaming|video games|carbs|cheese|ice cream|espresso|"
    r"energy drinks?|kdramas?|k-dramas?|books|reading|shopping|christmas|sunshine|vitamins)|"
    r"(?:in|during|playing) (?:the |a |my )?(?:game|minecraft|fortnite|video game|level|match)|"
    r"suicide (?:squad|doors?|mission|run|sprint|drills?|bomb\w*|rates?|statistics|prevention|awareness|hotline|"
    r"lines?|research)|(?:killing|killed|kill) (?:my|the|our) (?:vibe|buzz|mood|battery|phone|plants?)|"
    r"hair dye|to dye|(?:die|dye)(?:ing|d)? my hair|time to die(?:t| down)|the die is cast|"
    r"(?:my|the) (?:feet|legs|back|knees|head|shoulders|arms|calves) (?:are|is|were|was) killing",
    r"(?:thought|felt like|was sure|feared|worried|scared) (?:that )?i (?:was|were|am) (?:going|gonna|about) (?:to )?die|"
    r"felt like i was dying|(?:drown|drowning|bury|burying|lose|losing|throw|throwing) " + SELF + r" in(?:to)? \w+|"
    r"so \w+ (?:that )?i (?:could|might|would|'?ll|will) (?:literally |actually )?die|dead meat|"
    r"(?:cut|burn\w*|hurt|scald\w*|hit|bang\w*|stub\w*|slic\w*|nick\w*) my (?:hand|finger|thumb|arm|leg|knee|head|foot|"
    r"toe|lip|chin)s? (?:on|while|when|with|in|at|cooking|making|shaving|chopping|slicing|playing|opening|again)",
    r"me (?:corte|cortei|queme|queimei|machuque|machuquei) (?:\w+ )?(?:pelando|cocinando|con|afeitando|haciendo|fazendo|"
    r"com|cortando|descascando|na|en la|no|al|el dedo|o dedo|la mano|a mao|el pelo|o cabelo|las unas|as unhas|"
    r"la barba|a barba|el flequillo|la franja|el cabello)|zum sterben (?:gut|schon|lecker|langweilig)",
    # Spanish, French, German, Portuguese, Italian, Dutch: "dying of" hunger/laughter and friends
    r"(?:me muero|me estoy muriendo|muerto|muerta|morirme) (?:de|por) \w+|me mata(?:s|n)? (?:de )?(?:la )?risa|"
    r"(?:je meurs|on meurt|mourir|mort|morte|morts) de (?:faim|rire|soif|chaud|froid|envie|sommeil|fatigue|"
    r"peur|honte|ennui)|mdr|ca me tue|tu me tues|"
    r"(?:sterbe|sterben|gestorben) vor (?:hunger|lachen|langeweile|durst|hitze|kalte|angst|mudigkeit|neugier)|"
    r"totlachen|todmude|tot ?lach\w*|"
    r"(?:morrendo|morro|morri|morta|morto|morrer) de (?:rir|fome|sono|calor|frio|vontade|saudade|medo|vergonha|"
    r"tedio|cansaco|inveja|rir\w*)|(?:me )?mata de rir|"
    r"muoio (?:di|dal|dalla|dalle) \w+|morto di \w+|(?:ik )?(?:ga|gaat) dood (?:van|aan) de|lach me dood|doodmoe",
]

DENIALS = [
    r"(?:not|never|no longer|wasn't|isn't|i'?m not|im not|am not|don't feel|do not feel|dont feel|no) (?:\w+ )?"
    r"(?:been |ever |really |actually |feeling |currently |at all )?suicidal",
    r"(?:never|not|haven't|have not|didn't|did not|no) (?:ever |really )?(?:tried|attempted|contemplated|considered|"
    r"thought about|thought of|planned|plans? to|intention of|intent to) (?:suicide|killing " + SELF + r"|to kill "
    + SELF + r"|self[- ]?harm\w*|ending my life|to end my life|hurting " + SELF + r"|to hurt " + SELF + r")",
    r"(?:not|never|wouldn't|would not|won't|will not|wont) (?:\w+ )?(?:going to |gonna |ever |actually |do anything to )?"
    r"(?:kill|hurt|harm|cut) " + SELF,
    r"(?:no|without|zero|not having|don't have|dont have|do not have) (?:any )?(?:suicidal|self[- ]?harm) "
    r"(?:thoughts|ideation|intent|urges|feelings|plans)",
    r"(?:never|wouldn't|would not|won't|will not|not going to|no plans? to) (?:ever )?(?:take|end) my (?:own )?life",
    r"(?:don't|do not|dont|never|didn't|did not) (?:really |actually |ever )?(?:want|wanna|wanted) to (?:die|be dead)",
    r"(?:i'?m|im|i am) not (?:self[- ]?harming|cutting|going to do anything)",
    r"(?:lost|losing) (?:a |my |his |her |their |our )?\w+(?: \w+)? to suicide",
    r"(?:died|died by|death by|passed away by|passed by|lost to|lost them to) suicide",
    r"(?:he|she|they|my \w+(?: \w+)?) (?:committed|completed|died by) suicide (?:\w+ ){0,3}?(?:ago|last|in \d|when)",
    r"(?:used to|years ago i|i once|in the past i) (?:\w+ ){0,2}(?:cut|self[- ]?harm\w*|hurt " + SELF
    + r"|burn " + SELF + r")(?:[^.!?]{0,60}?)(?:clean|free|stopped|recovered|recovery|better now|haven't|"
    r"don't anymore|no longer|not anymore|years? (?:now|ago))",
    r"(?:clean|free) (?:from|of) (?:self[- ]?harm\w*|cutting|sh)\b",
    r"(?:no|don'?t have any|do not have any|never had|without|not having) (?:any )?thoughts (?:of|about) (?:hurting|"
    r"killing|harming|ending) (?:" + SELF + r"|my life)|(?:asked|asks|asking|ask) (?:me )?(?:if|whether|about) "
    r"(?:i'?m |i am |i was |i'?ve |i have |i had |i'?d )?(?:\w+ ){0,3}(?:suicidal|suicide|thoughts of \w+(?: " + SELF
    + r")?|self[- ]?harm\w*|hurting " + SELF + r"|wanting to die)|never (?:\w+ )?self[- ]?harm\w*",
    r"(?:used to|would) (?:think|thought) (?:about|of) (?:suicide|killing " + SELF + r"|dying)(?:[^.!?]{0,40}?)(?:in "
    r"(?:high school|college|my teens|my twenties)|years ago|as a (?:kid|teen)|back then)",
    # Spanish, French, German, Portuguese
    r"no (?:soy|estoy) suicida|no (?:quiero|deseo) morir(?:me)?|nunca me (?:mataria|haria dano|suicidaria)|"
    r"no (?:tengo|pienso en) (?:pensamientos suicidas|matarme|suicidarme)",
    r"(?:je )?ne (?:suis|me sens) pas suicidaire|(?:je )?ne veux pas mourir|(?:je )?ne (?:me )?(?:ferai|ferais) "
    r"jamais (?:de )?mal|(?:je )?ne vais pas me (?:tuer|suicider)",
    r"(?:bin|ich bin) nicht suizidal|(?:ich )?(?:will|mochte) nicht sterben|wurde mich nie (?:umbringen|verletzen)|"
    r"(?:ich )?(?:werde|wurde) mich nicht umbringen",
    r"nao (?:sou|estou) suicida|nao quero morrer|(?:eu )?nunca (?:me mataria|me machucaria)|nao vou me matar",
]

# A denial inside one of these frames is no denial: "I can't say I'm not suicidal".
FRAME = re.compile(
    r"(?:can'?t|cannot|couldn'?t|wouldn'?t|won'?t|not|never|hardly|doubt|unsure|don'?t know|dont know|no longer|"
    r"not sure|wish) (?:\w+ ){0,2}(?:say|claim|promise|pretend|tell|swear|sure|know|guarantee|convince|think|"
    r"believe|honestly say|that|if|whether|like)\b[\s,]*(?:[\w']+ ){0,3}$"
)
