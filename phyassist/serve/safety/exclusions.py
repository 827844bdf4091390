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
    # "kms" as kilometres, and questions about the slang itself ("what does kms mean?")
    r"\d+ ?kms?\b|\bkms \d+|\bkms (?:away|from|to|of|per|a day|a week|an hour|long)\b|"
    r"\b(?:few|couple of|many|more|several|hundreds? of|thousands? of) kms\b",
    r"(?:what|wat|whats|what's)(?: does| do| is|'s)?(?: \w+){0,3} [\"']?(?:kms|kys|ctb|unalive\w*|sewer ?slide|s-word)"
    r"[\"']?(?: \w+){0,4} (?:mean|means|stand for|short for)\b|(?:why do people|people) (?:say|write|use) "
    r"[\"']?(?:kms|kys|ctb|unalive\w*|sewer ?slide)|(?:meaning of|significa\w*|quiere decir|veut dire|heisst|bedeutet|"
    r"betekent|znaczy|значит|означает|artinya|ka matlab|يعني|singkatan)(?: \w+){0,2} [\"']?(?:kms|kys|ctb|unalive\w*|"
    r"sewer ?slide)\b|[\"']?(?:kms|kys|ctb|unalive\w*|sewer ?slide)[\"']?(?: \w+){0,3} (?:mean|means|stand for|"
    r"significa\w*|quiere decir|veut dire|heisst|bedeutet|betekent|znaczy|ne demek|demek|artinya|ka matlab|matlab|"
    r"just a (?:tiktok )?word|tiktok word)\b",
    # "I'd rather die than do the dishes": a chore, not a life ("rather die than go on like this" stays)
    r"(?:rather|sooner|prefiero|prefiro|preferiria|antes|plutot|je prefere|lieber|eher|piuttosto|wolalbym|wolalabym|"
    r"predzej)(?: \w+)? (?:die|be dead|morir|muert[oa]|morrer|mourir|sterben|sterbe|sterb|morire|umrzec|umre)"
    r"(?: ich| io| je)? (?:than|que|a|do que|als|che|niz)\b(?! (?:live|living|go on|going on|keep|continue|be alive|"
    r"spend another|wake up|face|go back|vivir|seguir|vivre|continuer|leben|weiter\w*|viver|continuar|voltar|vivere|"
    r"andare avanti|zyc|another day))",
    # suicide as the subject of an essay, a theory, a play or a historical event
    r"(?:essay|paper|thesis|dissertation|report|presentation|lecture|theory|theories|types? of|typology|theme|motif|"
    r"portrayal|depiction|history of|sociology|ensayo|ensaio|redacao|teoria|tema|typologie|theorie|hausarbeit|saggio|"
    r"wypracowanie|motyw|odev|esai)(?: \w+){0,5} (?:suicides?|suicidio|suicidios|selbstmord\w*|suizid\w*|zelfmoord|"
    r"samobojstw\w*)\b",
    r"(?:suicides?|suicidio|selbstmord\w*|suizid\w*|zelfmoord)(?: \w+){0,2} (?:in|dans|en|na|nella|nel|im|in de|bei|"
    r"chez|de|di|von|of|at) (?:\w+ ){0,2}(?:literature|literatura|litterature|literatur|letteratura|literatuur|the novel|"
    r"novel|the play|shakespeare|hamlet|romeo|madame bovary|werther|goethe|anna karenina|history|ancient|rome|japan|"
    r"jonestown|sociology|sociologia)\b",
    r"(?:double|doble|duplo|doppio|mass|collective|ritual) ?(?:suicides?|suicidio|selbstmord)|doppelselbstmord|"
    r"suicide (?:bomb\w*|attack\w*|pact in)",
    r"(?:por que|porque|pourquoi|warum|perche|why did|how did) (?:\w+ ){0,3}se (?:suicid\w*|tua|mato|matou|tolse)\b|"
    r"\bne suicide kyun\b|(?:why|how) did (?!i\b|my\b)(?:\w+ ){1,3}(?:commit suicide|kill (?:him|her|them)sel\w*)",
    # disappearing from social media for a while
    r"(?:disappear|vanish|desaparecer|disparaitre|sumir|verschwinden|sparire|zniknac|ngilang)(?: \w+){0,2} (?:from|de|des|"
    r"das|dos|da|aus|dai|z|dari) (?:\w+ )?(?:social media|socials|redes|reseaux|internet|instagram|insta|tiktok|sns|"
    r"social|medsos|sosyal medya)|sns(?:から|에서) ?(?:消えたい|사라지고 ?싶)",
    # "my boss is going to kill me" in Spanish and Portuguese; marks that are not wounds; a pet that jumps
    r"(?:jefe|jefa|chefe|boss|madre|mae|mama|padre|pai|papa|profe|professora?|esposa|marido|mujer|novi[oa]|"
    r"namorad[oa]) (?:\w+ ){0,2}(?:vai|va a|me va a|vai me|is going to|gonna) (?:me )?matar\b",
    r"(?:calor|frio|sol|jefe|chefe|profe|trabajo|trabalho|examen|prova|tarea|ele|ela|el|ella|tu|voce) (?:\w+ ){0,2}"
    r"(?:vai|va a|vao|van a) (?:me )?matar\b|\bme mataron\b|liegt im sterben|(?:die|dye)(?:ing|d|s)? (?:her|his|their|your|"
    r"our) hair",
    r"stretch ?marks?|acne (?:marks?|scars?)|birth ?marks?|(?:cat|cats|dog|dogs|kitten|puppy|bird|squirrel|goat|lemming)s? "
    r"(?:\w+ ){0,2}(?:jump\w*|leap\w*) (?:off|from|onto)",
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
    r"nao (?:sou|estou) suicida|nao quero morrer|(?:eu )?nunca (?:me mataria|me machucaria)|nao vou me (?:matar|machucar|ferir)",
    r"(?:je )?(?:ne )?veux pas mourir|non (?:\w+ )?voglio morire|non mi faccio del male|ik wil niet dood",
]

# A denial inside one of these frames is no denial: "I can't say I'm not suicidal".
FRAME = re.compile(
    r"(?:can'?t|cannot|couldn'?t|wouldn'?t|won'?t|not|never|hardly|doubt|unsure|don'?t know|dont know|no longer|"
    r"not sure|wish) (?:\w+ ){0,2}(?:say|claim|promise|pretend|tell|swear|sure|know|guarantee|convince|think|"
    r"believe|honestly say|that|if|whether|like)\b[\s,]*(?:[\w']+ ){0,3}$"
)
