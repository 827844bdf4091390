"""Phrase rules of the crisis screen, in English, Spanish, French, German, Portuguese, Italian and Dutch.

Rules run on ``crisis_text.normalize``'d text (lower-case, accents stripped, tricks undone), so the
patterns are written without accents. ``match_rules(text)`` first blanks out idioms ("to die for",
"killed it at karaoke", "je meurs de faim") and sincere denials ("I'm not suicidal"), except a denial
inside a negating frame ("I can't say I'm not suicidal" stays a signal), then returns the first
positive rule that matches as ``(category, phrase)``, or None. Keywords that survive any separators
(``s.u.i.c.i.d.e``) are matched per word on the letters alone.
"""

from __future__ import annotations

import re

from .crisis_text import squash

_SELF = r"(?:myself|my ?self|meself|myslf)"
_OTHERSELF = r"(?:him|her|them|their)sel(?:f|ves)"
_GAP = r"(?:\s+(?!(?:her|him|them|his|their|you|me|us|daddy|mommy|dad|mom|mum)\b)[\w']+){0,3}?\s+"  # up to three words in between
_PILLS = (r"(?:pills?|tablets?|meds|medications?|medicines?|paracetamol|tylenol|acetaminophen|ibuprofen|advil|"
          r"aspirin|insulin|sleeping pills|antidepressants|xanax|benzos|opioids|oxys?|painkillers|prescriptions?|"
          r"capsules|lithium|seroquel|zopiclone|codeine|morphine|fentanyl|heroin)")
_DEATH = (
    r"(?:die|dying|be dead|dead|my (?:own )?death|not (?:be )?(?:here|alive|around)(?! (?:for|at|on|this|today|when))|"
    r"end (?:it(?! with)(?: all)?|my (?:own )?life|things(?! with)|everything|myself|my suffering|the pain for good)|"
    r"ending (?:it(?! with)(?: all)?|my (?:own )?life|things(?! with)|everything)|kill(?:ing)? " + _SELF + r"|"
    r"off " + _SELF + r"|take my (?:own )?life|taking my (?:own )?life|stop (?:existing|living|breathing)|"
    r"not exist|cease to exist|disappear(?! (?:for (?:a|the|an|some)|to|into|on|from|under)\b)|vanish forever|"
    r"never wake up|not wake up|sleep forever|be gone(?=\s*(?:[.!,;]|$|forever|for good|permanently|from this))|overdose|od|jump|hang " + _SELF + r"|overdosing|"
    r"be with (?:my )?(?:late |dead )?\w+ (?:again|in heaven)|go to sleep forever|suicide|unalive " + _SELF + r"?)"
)
_INTENT = (
    r"(?:want|wanna|wanted|wants|wish|wishing|wished|plan|planning|planned|going|gonna|ready|decided|deciding|"
    r"thinking|thought|think|considering|contemplating|fantasi[sz]ing|dreaming|dream|tempted|urges?|need|longing|"
    r"hoping|hope|praying|pray|tried|trying|try|attempt|attempted|attempting|intend|intending|rather|"
    r"will|'ll|gotta|deserve)"
)

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
    + _SELF + r" (?:while|when|on|by|shaving|chopping|cooking|slicing|baking|ironing|at (?:work|the gym|practice|"
    r"training)|accidentally|playing|running|falling|during|in the (?:kitchen|garden|game)|with (?:a|the|my) "
    r"(?:knife|razor|paper|scissors|kitchen|oven|pan|iron|curling)|again (?:shaving|cooking)|lifting|"
    r"at the|off from|out of|short)|" + _SELF + r" (?:a |some )?(?:break|slack|time|a treat|space)|"
    r"cut " + _SELF + r" off|(?:cut|cutting) (?:my|the) (?:hair|nails|bangs|losses|fringe|carbs|sugar)",
    r"(?:overdos\w*|od'?d|o\.d\.) on (?:coffee|caffeine|chocolate|sugar|candy|netflix|tv|anime|cake|cookies|"
    r"pizza|sleep|work|love|drama|memes|tiktok|youtube|gaming|video games|carbs|cheese|ice cream|espresso|"
    r"energy drinks?|kdramas?|k-dramas?|books|reading|shopping|christmas|sunshine|vitamins)|"
    r"(?:in|during|playing) (?:the |a |my )?(?:game|minecraft|fortnite|video game|level|match)|"
    r"suicide (?:squad|doors?|mission|run|sprint|drills?|bomb\w*|rates?|statistics|prevention|awareness|hotline|"
    r"lines?|research)|(?:killing|killed|kill) (?:my|the|our) (?:vibe|buzz|mood|battery|phone|plants?)|"
    r"hair dye|to dye|(?:die|dye)(?:ing|d)? my hair|time to die(?:t| down)|the die is cast|"
    r"(?:my|the) (?:feet|legs|back|knees|head|shoulders|arms|calves) (?:are|is|were|was) killing",
    r"(?:thought|felt like|was sure|feared|worried|scared) (?:that )?i (?:was|were|am) (?:going|gonna|about) (?:to )?die|"
    r"felt like i was dying|(?:drown|drowning|bury|burying|lose|losing|throw|throwing) " + _SELF + r" in(?:to)? \w+|"
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
    r"thought about|thought of|planned|plans? to|intention of|intent to) (?:suicide|killing " + _SELF + r"|to kill "
    + _SELF + r"|self[- ]?harm\w*|ending my life|to end my life|hurting " + _SELF + r"|to hurt " + _SELF + r")",
    r"(?:not|never|wouldn't|would not|won't|will not|wont) (?:\w+ )?(?:going to |gonna |ever |actually |do anything to )?"
    r"(?:kill|hurt|harm|cut) " + _SELF,
    r"(?:no|without|zero|not having|don't have|dont have|do not have) (?:any )?(?:suicidal|self[- ]?harm) "
    r"(?:thoughts|ideation|intent|urges|feelings|plans)",
    r"(?:never|wouldn't|would not|won't|will not|not going to|no plans? to) (?:ever )?(?:take|end) my (?:own )?life",
    r"(?:don't|do not|dont|never|didn't|did not) (?:really |actually |ever )?(?:want|wanna|wanted) to (?:die|be dead)",
    r"(?:i'?m|im|i am) not (?:self[- ]?harming|cutting|going to do anything)",
    r"(?:lost|losing) (?:a |my |his |her |their |our )?\w+(?: \w+)? to suicide",
    r"(?:died|died by|death by|passed away by|passed by|lost to|lost them to) suicide",
    r"(?:he|she|they|my \w+(?: \w+)?) (?:committed|completed|died by) suicide (?:\w+ ){0,3}?(?:ago|last|in \d|when)",
    r"(?:used to|years ago i|i once|in the past i) (?:\w+ ){0,2}(?:cut|self[- ]?harm\w*|hurt " + _SELF
    + r"|burn " + _SELF + r")(?:[^.!?]{0,60}?)(?:clean|free|stopped|recovered|recovery|better now|haven't|"
    r"don't anymore|no longer|not anymore|years? (?:now|ago))",
    r"(?:clean|free) (?:from|of) (?:self[- ]?harm\w*|cutting|sh)\b",
    r"(?:no|don'?t have any|do not have any|never had|without|not having) (?:any )?thoughts (?:of|about) (?:hurting|"
    r"killing|harming|ending) (?:" + _SELF + r"|my life)|(?:asked|asks|asking|ask) (?:me )?(?:if|whether|about) "
    r"(?:i'?m |i am |i was |i'?ve |i have |i had |i'?d )?(?:\w+ ){0,3}(?:suicidal|suicide|thoughts of \w+(?: " + _SELF
    + r")?|self[- ]?harm\w*|hurting " + _SELF + r"|wanting to die)|never (?:\w+ )?self[- ]?harm\w*",
    r"(?:used to|would) (?:think|thought) (?:about|of) (?:suicide|killing " + _SELF + r"|dying)(?:[^.!?]{0,40}?)(?:in "
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
_FRAME = re.compile(
    r"(?:can'?t|cannot|couldn'?t|wouldn'?t|won'?t|not|never|hardly|doubt|unsure|don'?t know|dont know|no longer|"
    r"not sure|wish) (?:\w+ ){0,2}(?:say|claim|promise|pretend|tell|swear|sure|know|guarantee|convince|think|"
    r"believe|honestly say|that|if|whether|like)\b[\s,]*(?:[\w']+ ){0,3}$"
)

POSITIVE: list[tuple[str, str]] = [
    # --- English ---
    ("keyword", r"suicid\w*|\bkms\b|\bkys\b|\bctb\b|unalive|sewer ?slide|self[- ]?delet\w*|off " + _SELF + r"\b|"
                r"rope " + _SELF + r"|by my own hand|\bsui\b|s-word|\bsh\b (?:again|urges?|relapse)|"
                r"\bsi\b (?:again|thoughts|is)|catch the bus\b(?! (?:to|at|from|home|into|tomorrow|in))"),
    ("intent", r"\b" + _INTENT + r"\b(?:" + _GAP + r")?(?:to |of |about |on )?" + _DEATH + r"\b"),
    ("intent", r"(?:kill|killed|killing|hang|hanged|hanging|shoot|shooting|shot|poison|poisoning|drown|drowning|"
               r"suffocate|suffocating|starve|starving|overdose|overdosing) " + _SELF + r"\b(?! (?:off|out|up|in|with)\b)"),
    ("intent", r"(?:end|ending|ended|take|taking|took) (?:my|this) (?:own )?life\b(?! (?:in|into|to|back|seriously|"
               r"in a new|for granted|one day|step|slow)\b)|(?:end|ending) it all|(?:going|gonna|want|wanna|ready|"
               r"decided|plan|planning|time|about) to end it\b(?! with)|end everything\b|end things\b(?! with)"),
    ("intent", r"(?:wish|wished|wishing|want|wanted|wanna) (?:that )?(?:i|to) (?:\w+ )?(?:was|were|had|be|have) "
               r"(?:dead|never been born|not been born|never born|gone for good|never existed|not exist|not alive|"
               r"not here|gone forever)|(?:wish|wishes) i (?:didn'?t|did not) (?:exist|wake up)"),
    ("intent", r"(?:don'?t|do not|dont|doesn'?t|no longer|not|never|can'?t) (?:\w+ )?(?:want|wanna|wish|care|feel like|"
               r"see (?:a |the )?point (?:in|of)|see myself|plan|intend|expect) (?:to |on )?(?:keep |go on )?(?:live|living|"
               r"be alive|being alive|exist|existing|wake up|waking up|be here any ?(?:more|longer)|be here tomorrow|"
               r"be around(?! (?:me|people|them|him|her|anyone|others|you|my|\w+ (?:people|friends)))|being around(?! \w)|be here next|see tomorrow|see (?:another|next) (?:year|week|birthday|christmas)|"
               r"make it (?:to|through) (?:tomorrow|the (?:night|weekend|week))|go on any ?more|exist any ?more)"),
    ("intent", r"(?:can'?t|cannot|cant|unable to|no strength to|not able to) (?:\w+ )?(?:go on|keep going|carry on|"
               r"keep living|live like this|be alive|stay alive)(?: \w+)? any ?(?:more|longer)|(?:can'?t|cannot|cant) go on\b"),
    ("intent", r"(?:no|not any|any|what'?s the|what is the|don'?t see the|lost (?:all|any)?) (?:\w+ )?(?:reason|point|"
               r"purpose|will) (?:to|in|of|for) (?:keep |keeping |go |going )?(?:on )?(?:living|live|life|going on|go on|"
               r"being alive|existing|exist|staying alive|stay alive|it all|any of this|trying)"),
    ("intent", r"(?:life|living|existing|existence|being alive|my life|it) (?:is|isn'?t|is not|'?s not|isnt|ain'?t|"
               r"feels|seems) (?:\w+ )?(?:not|no longer|isn'?t)? ?(?:worth (?:living|it any ?(?:more|longer))|"
               r"pointless any ?more)|not worth living|(?:isn'?t|not|no longer) worth (?:living|being alive|it anymore)"),
    ("intent", r"(?:i'?m|im|i am|i'?ll|i will|gonna|going to|want to|need to|should|deserve to|ready to|just want to) "
               r"(?:just |finally |probably |really )?(?:die|be dead|disappear for good|disappear forever|"
               r"leave this world|leave this earth|not be here|give up on life|give up on living|go to sleep forever)"),
    ("means", r"(?:took|taken|take|taking|swallow|swallowed|swallowing|down|downed|had) (?:all|every|a whole|the whole|"
              r"a bunch|a handful|handfuls|too many|loads|lots|a lot|the rest|\d{2,}|twenty|thirty|forty|fifty|a hundred|"
              r"double|triple)(?: of)?(?: (?:my|the|those|these|her|his|mum'?s|mom'?s|dad'?s))? (?:\w+ )?" + _PILLS),
    ("means", r"(?:how many|how much|enough|lethal (?:dose|amount)|fatal (?:dose|amount)|overdose) (?:\w+ ){0,3}"
              r"(?:" + _PILLS + r"|of (?:them|it|those)) (?:\w+ ){0,4}(?:to|would|will|could|does it take to|it takes to) "
              r"(?:die|kill|end|not wake|never wake|be fatal|be lethal|stop my heart|do it)|"
              r"(?:lethal|fatal) (?:dose|amount|quantity)|overdos(?:e|ed|ing) (?:on )?(?:my|his|her|the|all|those|these|"
              r"again|tonight|today|intentionally|on purpose|\w+ )?" + _PILLS + r"|\b(?:overdose|od) (?:tonight|today|"
              r"again|soon|this time)|(?:stockpil|hoard|stash|sav(?:e|ed|ing) up|collect(?:ed|ing)?|count(?:ed|ing)?|"
              r"squirrel|hid|hiding|hidden)\w* (?:\w+ ){0,3}" + _PILLS + r"|" + _PILLS + r" (?:\w+ ){0,3}(?:stockpil\w*|"
              r"saved up|hidden away|stashed|counted out|lined up|ready)|(?:bottle|box|pack|strip|stash) of " + _PILLS
              + r" (?:\w+ ){0,4}(?:tonight|all|ready|end|die|kill|done|swallow)"),
    ("means", r"(?:jump|jumping|jumped|leap|leaping|throw " + _SELF + r"|throwing " + _SELF + r"|step|stepping|walk|"
              r"walking|drive|driving|crash|crashing|swerve|swerving|lie|lying|lay|laid) (?:off|from|in front of|into|onto|"
              r"under|down|(?:(?<=lie )|(?<=ying )|(?<=lay )|(?<=aid ))on) (?:a |the |this |that |my |an |some |one )?(?:\w+ )?(?:bridge|building|roof|rooftop|cliff|"
              r"balcony|window|ledge|train|bus|truck|lorry|traffic|tracks|railway|river|tower|parking (?:garage|structure)|"
              r"overpass|highway|motorway|freeway|oncoming|tree|wall|car|subway|metro)"),
    ("means", r"(?:rope|noose|belt|cord|cable|ligature)\b(?:[^.!?]{0,60}?)\b(?:hang(?! (?:a|an|the|up|out|some|it|them|"
              r"clothes|laundry|pictures?|lights|from)\b)|tie|tied|strong enough|beam|ceiling|"
              r"rafter|neck|door ?frame|closet|loft|attic|hold my weight|around my)|\bnoose\b|\bhang " + _SELF +
              r"|(?:gun|pistol|rifle|firearm|shotgun|revolver|bullet)s?\b(?:[^.!?]{0,60}?)\b(?:my head|my mouth|"
              r"my temple|" + _SELF + r"|pull the trigger|loaded|end it|use it on|bought|buy one|thinking about it|"
              r"in my hand)|(?:car|engine) running in (?:the|a|my) (?:closed )?garage|exhaust (?:pipe|fumes|hose)|"
              r"charcoal (?:burning|in (?:the|my|a) (?:room|car|bathroom))|"
              r"(?:razor|blade|knife|glass)s?\b(?:[^.!?]{0,40}?)\b(?:wrists?|my arms?|my thighs?|my skin|" + _SELF + r")|"
              r"(?:painless|quick|quickest|easy|easiest|best|surest|certain|fastest|peaceful) (?:way|ways|method|"
              r"methods) (?:to|of) (?:die|dying|end it|kill|go|leave|check out|suicide|not wake)|"
              r"how (?:to|do you|do i|would i|can i|could i) (?:kill " + _SELF + r"|end (?:it|my life)|die (?:quickly|"
              r"painlessly|fast)|hang " + _SELF + r"|overdose|od|slit|tie a noose)|tallest (?:bridge|building)s?"),
    ("burden", r"(?:i'?m|i am|im|i feel like|feel like|i'?ve become|i have become|being|nothing but|just|only|such|"
               r"become|i'?m just|i'?m only) (?:a |such a |just a |nothing but a |only a |the |an |one big |a huge |"
               r"a massive |a constant )?(?:burden|waste of (?:space|air|oxygen|life|skin)|drain on (?:everyone|them|"
               r"my family))|burden (?:to|on|for) (?:everyone|my|them|you|others|people|the people|all)|"
               r"(?:everyone|they|the world|world|family|people|friends|kids|you|he|she|we|my \w+|all)(?:'?d| would| will|"
               r"'?ll| might|'?re| are) (?:all |honestly |really |so much |be |just )*(?:better|happier|fine|relieved|"
               r"be better|be happier|be fine|be relieved|be okay|be ok|be freer)(?: off)? (?:without|if i (?:was|were|"
               r"wasn'?t|weren'?t|died|disappeared|was gone|were gone|left|didn'?t exist))|better off without me|"
               r"(?:no ?one|nobody|noone|no body|nobody at all) (?:would|will|is going to|gonna|'?d) (?:even |really |"
               r"actually )?(?:miss|notice|care|mourn|cry)|(?:wouldn'?t|won'?t) (?:even )?(?:miss|notice) (?:me|if i)|"
               r"(?:easier|better|simpler|lighter) for (?:everyone|all of them|my family|them|everybody) if i (?:was|were|"
               r"wasn'?t|weren'?t|didn'?t|died|disappeared|left|was gone|were gone|just)|"
               r"(?:stop|no longer|never again) (?:be(?:ing)? )?a burden|one less (?:problem|mouth|burden|person)"),
    ("farewell", r"goodbye (?:everyone|all|world|guys|friends|forever|for good|cruel world|my friends|to everyone|"
                 r"to you all|y'?all|and thank)|(?:this is|it'?s|its|consider this) (?:my )?(?:goodbye|farewell|"
                 r"the end|my (?:last|final) (?:message|post|words|goodbye|night|day|text|letter))|"
                 r"(?:say|said|saying|says) (?:my (?:final |last )?goodbyes?|(?:a |my |one )?(?:final|last) goodbye|"
                 r"goodbye to (?:everyone|everybody|the world|all|you all|my family|my friends|this world|life)\b(?! (?:in|at|and|before|from)\b))|"
                 r"(?:write|writing|wrote|written|left|leave|leaving) (?:a |my |the |some |all (?:my |the )?)?"
                 r"(?:suicide notes?|goodbye (?:notes?|letters?)|farewell (?:notes?|letters?)|final (?:notes?|letters?))|(?:note|notes|letter|letters) (?:to|for) (?:everyone|each of|all of|"
                 r"my family|my (?:mom|mum|dad|parents|kids|children|wife|husband|partner|sister|brother|friends)) "
                 r"(?:\w+ ){0,4}(?:gone|find|goodbye|after|explain|sorry|when)|"
                 r"(?:thank you|thanks) for everything(?:[^?]{0,60}?)(?:goodbye|bye|farewell|sorry|love you|for"
                 r" being)|(?:i'?m|im) sorry for everything(?:[^?]{0,60}?)(?:goodbye|bye|love you|forgive|after)|"
                 r"(?:giving|gave|give|given) away (?:all |most )?(?:of )?(?:my|the) (?:stuff|things|belongings|"
                 r"possessions|games|clothes|pets?|cat|dog|books|jewel\w*|guitar|collection|savings)|"
                 r"take care of (?:my |the )?(?:cat|dog|kids|pets|mom|mum|family|plants) (?:for me|when|after|once)|"
                 r"(?:when|after|once) i'?m gone\b(?! (?:for|on|to|at|next|this|in))|"
                 r"won'?t be (?:around|here|alive|a problem|a burden|in your way) (?:much longer|for long|tomorrow|"
                 r"anymore|any more|any longer|by|next|soon|to see)|by the time (?:you|anyone|someone) (?:reads?|"
                 r"sees?|finds?) this|see you (?:all )?on the other side|(?:last|final) time (?:you(?:'?ll)?|anyone) "
                 r"(?:hear|see)s? (?:from )?me|(?:never|won'?t) (?:hear|see) (?:from )?me again|remember me (?:as|when|"
                 r"fondly)|(?:please )?don'?t blame yourselves|it'?s not your fault(?:[^?]{0,40}?)(?:goodbye|"
                 r"love)|(?:deleted|deleting|cancelled|closing|closed) (?:all )?my (?:accounts|social media)"
                 r"(?:[^?]{0,40}?)(?:goodbye|for good|forever|won'?t need)|(?:updated|wrote|made|written) my will\b"),
    ("euphemism", r"(?:go to sleep|fall asleep|sleep|close my eyes|lie down) and (?:never|not|don'?t|didn'?t) "
                  r"(?:\w+ )?(?:wake|waking|open)|(?:never|not) (?:to )?wake up (?:again|ever|tomorrow)|"
                  r"check(?:ing)? out (?:early|for good|permanently|of life|of this world|forever)|"
                  r"(?:won'?t|will not|wont|not going to) be (?:a |your )?(?:problem|burden|bother|issue|"
                  r"worry) (?:much longer|for much longer|any ?more|for long|soon|after)|"
                  r"(?:make|want|need|wish|let) (?:it|everything|the pain|this|all of this|life) (?:all )?"
                  r"(?:to )?(?:stop|end|be over) (?:forever|for good|permanently|once and for all)|"
                  r"(?:permanent|final) (?:solution|way out|sleep|escape|exit|rest|goodbye)|(?:the )?only way out\b|"
                  r"(?:join|be with|see) (?:my )?(?:late |dead )?(?:mom|mum|mother|dad|father|grandma|grandpa|"
                  r"nan|wife|husband|brother|sister|son|daughter|friend) (?:again )?(?:soon|in heaven|on the other side)|"
                  r"(?:not|never) (?:be )?(?:here|around|alive) (?:next|by|for) (?:week|month|year|christmas|"
                  r"my birthday|the weekend|long)|leave this (?:world|earth|life)|(?:eternal|forever|endless) "
                  r"(?:sleep|rest|silence)|(?:reached|at) the end of my rope"),
    ("self_harm", r"self[- ]?harm\w*|self[- ]?injur\w*|self[- ]?mutilat\w*|self[- ]?hurt\w*|"
                  r"(?:cut|cutting|cuts|slash|slashing|slashed|slit|slitting|carve|carving|carved|burn|burning|burned|"
                  r"burnt|scratch|scratching|scratched|hit|hitting|punch|punching|bang|banging|stab|stabbing|starve|"
                  r"starving|hurt|hurting|harm|harming|bruise|bruising|scald|scalding|bite|biting|pinch|pinching) "
                  r"(?:" + _SELF + r"|my (?:own )?(?:arms?|wrists?|legs?|thighs?|skin|stomach|body|hips?|wrist|"
                  r"forearms?|chest|ankles))\b|(?:relaps\w*|urges?|urge) (?:\w+ ){0,3}(?:cut|cutting|"
                  r"self[- ]?harm\w*|hurt " + _SELF + r"|burn " + _SELF + r"|\bsh\b)|(?:fresh|new|deep) (?:cuts|"
                  r"wounds|scars|burns) (?:on|in|from)|(?:cuts|scars|burns|marks|wounds) on my (?:arms?|wrists?|"
                  r"thighs?|legs?|stomach)|(?:hide|hiding|cover|covering) (?:the |my )?(?:cuts|scars|wounds|"
                  r"marks|burns)"),
    ("third_party", r"(?:kill|killing|killed|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot|shooting|"
                    r"overdose|overdosing|end|ending|take|taking) " + _OTHERSELF +
                    r"\b(?! (?:off|out|up|while|when|at|on|playing|skiing|running|during|in the game)\b)|"
                    r"(?:end|ending|take|taking|took) (?:his|her|their) (?:own )?life\b(?! (?:in|into|to|back|"
                    r"seriously|for granted)\b)|(?:he|she|they|my \w+(?: \w+)?) (?:is|are|seems|sounds|was|has been|"
                    r"'s|'re) (?:\w+ )?suicidal|(?:he|she|they|my \w+(?: \w+)?) (?:\w+ ){0,3}(?:wants?|wanted|"
                    r"is going|'s going|are going|is planning|plans|tried|is trying|attempted|threaten\w*|talks? "
                    r"about|talking about|keeps saying|said|says|texted|wrote|posted) (?:that )?(?:to |"
                    r"about |(?:he|she|they)(?:'?ll| will| wants? to| is going to| wanted to))?(?:die|be dead|end "
                    r"it(?: all)?|not (?:be )?(?:here|alive|around)|disappear forever)\b"),
    # --- Spanish ---
    ("es", r"suicid\w*|matarme|me (?:voy a |quiero |pienso |puedo )?matar\b|quitarme la vida|me quiero morir|"
           r"quiero morir\w*|(?:quiero|quisiera|voy a|pienso en|pensando en|ganas de|deseo|intente|intentar|planeo|"
           r"necesito|prefiero|mejor) (?:\w+ ){0,2}(?:morir\w*|matarme|suicidarme|quitarme la vida|desaparecer|acabar "
           r"con (?:todo|mi vida|esto)|dejar de existir|no despertar\w*|terminar con (?:todo|mi vida)|estar muert[oa])|"
           r"no (?:quiero|puedo) (?:seguir )?(?:vivir|viviendo|existir|despertar\w*|estar aqui|seguir(?: asi| adelante)?"
           r"(?: mas)?|mas)\b|no (?:vale|tiene sentido) (?:la pena )?(?:vivir|seguir)|no le veo sentido a (?:la vida|"
           r"vivir|nada|seguir)|(?:seria|estarian|estaria|estarias|estan|vivirian) mejor sin mi|(?:soy|me siento) "
           r"(?:\w+ )?(?:una carga|un estorbo|un peso)|nadie me (?:extranaria|echaria de menos|va a extranar)|"
           r"(?:cortarme|me corto|me corte|me estoy cortando|hacerme dano|me hago dano|me hice dano|autolesi\w*|"
           r"lastimarme|me lastimo|quemarme|me quemo)|(?:tomar\w*|tome|tomarme|me tome|tragar\w*|me trague) "
           r"(?:\w+ )?(?:todas|todos|la caja|el frasco|un monton)(?: de)? (?:las |mis |los )?(?:pastillas|pildoras|"
           r"medicamentos|somniferos|medicinas)|sobredosis|(?:esta es|es) mi (?:ultima|despedida)|me despido (?:de "
           r"todos|para siempre)|adios (?:a todos|para siempre|mundo)|carta de despedida|"
           r"(?:se va a|quiere|va a|dijo que se va a|amenaza con) (?:matarse|suicidarse|quitarse la vida)|"
           r"(?:dormir|dormirme) y no (?:volver a )?despertar|no despertar(?:me)? (?:nunca|mas)|"
           r"(?:tirarme|lanzarme|aventarme) (?:de|del|desde|por|a|al|bajo|delante) (?:\w+ )?(?:puente|edificio|tren|"
           r"balcon|ventana|metro|coches?|azotea|vias)|acabar con todo|ya no (?:puedo|aguanto) mas"),
    # --- French ---
    ("fr", r"suicid\w*|me suicider|(?:veux|voudrais|vais|envie de|pense a|penser a|compte|pret a|prete a|essaye de|"
           r"essayer de|ai essaye de|preferais|aimerais|souhaite|dois) (?:\w+ ){0,2}(?:mourir|me tuer|me suicider|"
           r"en finir|disparaitre|mettre fin a (?:mes jours|ma vie)|ne plus (?:vivre|me reveiller|exister)|etre mort\w*)|"
           r"en finir(?: avec (?:tout|la vie|ma vie))?|mettre fin a (?:mes jours|ma vie)|(?:ne )?veux plus vivre|"
           r"plus envie de vivre|(?:plus|pas) (?:envie|la force) de (?:vivre|continuer|me reveiller)|ne plus me "
           r"reveiller|(?:serait|seraient|serais|seront|sera) (?:\w+ )?mieux sans moi|(?:je suis|suis|me sens) "
           r"(?:\w+ )?un (?:fardeau|poids)|un poids pour (?:tout|ma|mes|les)|me (?:scarifier|scarifie|couper|"
           r"coupe|mutiler|faire du mal|fais du mal|bruler|brule)\b|scarification|automutilation|"
           r"(?:avaler|prendre|pris|avale|ai pris) (?:\w+ )?(?:tous|toutes|la boite|une boite|le tube)(?: de)? "
           r"(?:mes |les )?(?:cachets|medicaments|comprimes|pilules|somniferes)|surdose|overdose|"
           r"(?:c'est|ceci est) (?:mon dernier|ma derniere|un adieu|mon adieu)|adieu (?:a tous|tout le monde|le monde)|"
           r"lettre d'adieu|je vous dis adieu|(?:sauter|me jeter|me lancer) (?:du|d'un|de la|par la|sous un|sous le|"
           r"devant un|d'une) (?:\w+ )?(?:pont|immeuble|fenetre|train|toit|balcon|falaise|metro|voiture)|"
           r"(?:il|elle|(?:mon|ma) (?:mere|pere|soeur|frere|fille|fils|copine|copain|amie?|meilleure? amie?|femme|mari|cousine?|collegue|coloc\w*|voisine?|tante|oncle|grand-mere|grand-pere|enfant|ado|partenaire)) (?:\w+ ){0,2}(?:se tuer|se suicider|en finir|mourir)\b|"
           r"dormir (?:et|pour) ne (?:jamais |plus )?(?:me )?reveiller"),
    # --- German ---
    ("de", r"selbstmord\w*|suizid\w*|freitod|mich (?:\w+ )?(?:umbringen|umzubringen|toten|zu toten|ritzen|"
           r"selbst verletzen|aufhangen|erhangen|erschiessen|vor (?:einen|den) zug (?:werfen|zu werfen))|"
           r"(?:mir|mein) (?:\w+ )?(?:das )?leben (?:zu )?(?:nehmen|beenden)|(?:will|mochte|wurde gern|wunschte|"
           r"wunsche mir|sehne mich danach|denke daran|plane)(?: \w+){0,3} (?:zu )?(?:sterben|tot (?:zu )?sein|"
           r"nicht mehr (?:zu )?(?:leben|da sein|aufwachen|existieren|aufzuwachen)|verschwinden)|nicht mehr leben "
           r"(?:will|mochte)|keine (?:lust|kraft) mehr (?:zu leben|auf (?:das )?leben|weiterzuleben)|"
           r"(?:allem|dem|meinem leben) ein ende (?:setzen|machen|bereiten)|schluss machen (?:mit allem|mit dem "
           r"leben|fur immer)|(?:ware|waren|wars|waere) (?:\w+ )?besser (?:dran )?ohne mich|(?:bin|ich bin) "
           r"(?:nur |doch nur )?(?:eine last|ein klotz am bein)|last fur (?:alle|meine|euch|jeden)|"
           r"selbstverletz\w*|ritze mich|mich (?:\w+ )?geritzt|(?:alle|ganze packung|die ganzen|meine ganzen) "
           r"(?:\w+ )?tabletten|uberdosis|(?:springen|springe|spring|werfen|werfe) (?:\w+ )?(?:von|vor) (?:der|die|"
           r"einer|einen|den|dem|das) (?:\w+ )?(?:brucke|dach|hochhaus|zug|bahn|gleise|auto)|abschiedsbrief\w*|"
           r"lebt (?:alle )?wohl|das ist mein letzter|verabschiede mich (?:fur immer|von allen|von euch)|"
           r"(?:einschlafen|schlafen) und nie (?:mehr|wieder) aufwachen|nie (?:mehr|wieder) aufwachen|"
           r"(?:er|sie|(?:mein|meine) (?:mutter|vater|schwester|bruder|tochter|sohn|freundin|freund|"
           r"bester freund|beste freundin|frau|mann|cousine|cousin|kollegin|kollege|nachbarin|nachbar|tante|onkel|oma|"
           r"opa|partnerin|partner)) (?:\w+ ){0,3}(?:sich umbringen|sich das leben nehmen|sich toten|sterben)\b|kann nicht mehr(?: weiter)?\b"),
    # --- Portuguese ---
    ("pt", r"suicid\w*|me matar|matar-me|tirar (?:a )?(?:minha|a) (?:propria )?vida|(?:quero|vou|penso em|pensando em|"
           r"vontade de|desejo|pretendo|planejo|tentei|tentar|prefiro|queria|gostaria de) (?:\w+ ){0,2}(?:morrer|me matar|"
           r"me suicidar|sumir|desaparecer|acabar com (?:tudo|a minha vida|minha vida|isso)|tirar (?:a )?minha "
           r"(?:propria )?vida|nao acordar|deixar de existir|estar mort[oa])|nao (?:quero|aguento) mais (?:viver|"
           r"estar aqui|existir|acordar|continuar|isso)|nao aguento mais\b|(?:seriam|estariam|ficariam|seria|vao "
           r"ficar|viveriam) (?:\w+ )?melhor(?:es)? sem mim|(?:sou|me sinto) (?:\w+ )?(?:um|uma) (?:peso|fardo)|"
           r"ninguem (?:vai|iria) sentir (?:a )?minha falta|(?:me cortar|me corto|me cortei|automutila\w*|"
           r"me machucar|me machuco|me machuquei|me ferir|me queimar)|(?:tomar|tomei|engolir|engoli) (?:\w+ )?"
           r"(?:todos|todas|a caixa|uma caixa|a cartela)(?: de)? (?:os |as |meus |minhas )?(?:comprimidos|remedios|"
           r"pilulas|calmantes|medicamentos)|sobredosagem|overdose|carta de despedida|adeus (?:a todos|para sempre|"
           r"mundo)|(?:esta|essa) e (?:a )?minha (?:ultima|despedida)|(?:pular|me jogar|me atirar) (?:da|de uma|do|de "
           r"um|na frente|em frente|debaixo) (?:\w+ )?(?:ponte|predio|janela|telhado|trem|metro|onibus|carro)|"
           r"dormir e (?:nunca mais |nao )?acordar|nunca mais acordar|(?:ele|ela|(?:meu|minha) (?:mae|pai|irma|irmao|"
           r"filha|filho|namorada|namorado|amiga|amigo|melhor amiga|melhor amigo|esposa|marido|prima|primo|colega|"
           r"vizinha|vizinho|tia|tio|avo)) (?:\w+ ){0,2}"
           r"(?:se matar|se suicidar|tirar a (?:propria )?vida|morrer)\b"),
    # --- Italian and Dutch ---
    ("it", r"suicid\w*|uccidermi|ammazzarmi|togliermi la vita|farla finita|voglio morire|vorrei morire|non voglio "
           r"piu vivere|meglio senza di me|sono un peso|non ce la faccio piu a vivere|lettera d'addio|tagliarmi|"
           r"farmi del male"),
    ("nl", r"zelfmoord\w*|suicid\w*|(?:wil|zou|wou) (?:\w+ ){0,2}(?:dood|sterven|er niet meer zijn|niet meer leven)|"
           r"mezelf (?:van kant maken|doden|iets aandoen|snijden|pijn doen)|een einde (?:aan (?:mijn leven|alles)|"
           r"maken aan (?:mijn leven|alles))|niet meer wakker (?:worden|te worden)|beter af zonder mij|"
           r"(?:ben|voel me) (?:een )?last|afscheidsbrief|wil niet meer leven"),
]

# Broader concepts, each general (not a phrase of any test message): life-weariness, conditional wishes,
# means and preparations, farewells, meta-negated denials; then the same concepts in other languages.
_MORE: list[tuple[str, str]] = [
    ("negation_trick", r"(?:wouldn'?t|can'?t|cannot|couldn'?t|won'?t) (?:honestly |really |truthfully |exactly )?"
                       r"(?:say|promise|tell (?:you|anyone)|swear|guarantee|claim|pretend) (?:that )?(?:i'?m|i am|im|i|"
                       r"i'?ll|i will) (?:not|won'?t|will not|wouldn'?t|don'?t|do not|never)\b|"
                       r"(?:it'?s|its|it is) not (?:like|that) i (?:don'?t|do not|dont) (?:want|wanna|plan|have)"),
    ("intent", r"(?:done|finished|tired|sick|exhausted|fed up) (?:with|of) (?:life|living(?! (?:paycheck|in|with|at|like|here|"
               r"there|on|off|under|alone|together|out|from))|being alive|existing|"
               r"everything|it all|this life|trying|fighting)|done (?:living|trying|fighting)\b|"
               r"waiting (?:to die|for death|for it to end)|(?:fine|ok|okay|happy|glad|relieved|wouldn'?t mind|"
               r"wouldn'?t care|don'?t care|grateful) if (?:i|something|a \w+|someone) (?:\w+ ){0,3}(?:died|die|"
               r"didn'?t wake up|hit me|killed me|never woke up|wasn'?t alive|weren'?t alive|crashed|ended me)|"
               r"(?:if|when|once) i (?:was|were|am)(?:n'?t| not| no longer) (?:alive|around|here|breathing)|"
               r"(?:no ?one|nobody|nothing) (?:will|can|could|is going to|gonna) stop me|"
               r"(?:make sure|ensure|so) (?:you|i|it) (?:don'?t|dont|won'?t|doesn'?t|do not) (?:survive|fail|wake)|"
               r"(?:take|takes|long) to die|die (?:from|of) (?:car exhaust|an overdose|blood loss|bleeding|hanging|"
               r"carbon monoxide|\w+ poisoning)|(?:deep|enough|high|far|long) enough to (?:die|kill|be fatal|not "
               r"survive|do it|end it)|end(?:ing)? it (?:all )?(?:tonight|today|tomorrow|soon|this week|now|for good|"
               r"on \w+day)\b|(?:have|got|found|bought) the means(?! to (?:live|support|pay|buy|move|afford|get|go))|want the long rest|"
               r"(?:tell|telling) (?:my \w+|them|everyone|her|him) (?:that )?i love (?:her|him|them|you)(?:[^?]{0,40}?)"
               r"(?:fault|sorry|goodbye)|(?:wasn'?t|was not|isn'?t|is not|not) (?:your|her|his|their|anyone'?s) "
               r"fault(?:[^?]{0,40}?)(?:goodbye|love|sorry|bye)"),
    ("means", r"(?:bought|buy|buying|got|purchased|ordered|order|found) (?:a |some |the |myself a |my )?(?:\w+ )?"
              r"(?:rope|noose|gun|pistol|firearm|razor blades|helium|exit bag|charcoal)\b|(?:put|paid|money) "
              r"(?:\w+ ){0,3}(?:on|for) a (?:gun|pistol|firearm)|helium (?:method|tank|bag)|exit bag|carbon monoxide|"
              r"car exhaust|(?:use|using|used|turn|turning|try|trying|point|pointing) (?:it|them|that|the (?:gun|knife|"
              r"rope|pills|blade)|a (?:gun|knife|blade)) on " + _SELF + r"|(?:beam|rafter|hook|ceiling fan|banister|"
              r"pipe|door ?frame) (?:\w+ ){0,3}(?:strong enough|to hold me|hold my weight)|"
              r"(?:drive|driving|drove|crash|crashing|walk|walking|swim|swimming|jump|jumping|go|going) "
              r"(?:my car |the car |out )?(?:into|off|in front of|under) (?:the |a )?(?:\w+ )?(?:river|sea|ocean|lake|"
              r"water|pillar|overpass|wall|tree|cliff|tracks|train|truck|bus|traffic)|(?:step|stepped|stepping|jump|"
              r"jumped|walk|walked|fall|roll) off (?:the |a |this )?(?:platform|ledge|edge|roof|bridge|balcony|"
              r"cliff|pier)|(?:jump|jumping|fall|falling|leap) (?:from|off) (?:the |a )?(?:\d+\w*|tenth|top|high|"
              r"highest) (?:floor|storey|story|stories|floors)|(?:standing|sitting|stood|sat) on (?:the |a |my )?"
              r"(?:ledge|edge|balcony rail\w*|railing|rail|bridge|roof|parapet)|(?:which|what) (?:veins?|arter\w+)|"
              r"(?:veins?|arter\w+|wrists?) (?:\w+ ){0,5}(?:fatal|deep enough|to die|bleed out)|bleed(?:ing)? out\b|"
              r"(?:rat poison|antifreeze|bleach|weed ?killer|pesticide|cyanide)\b(?:[^.!?]{0,40}?)\b(?:drink|swallow|"
              r"take|where|keep|buy|bought|how much|enough)|(?:drink|drinking|swallow) (?:the |some )?(?:bleach|"
              r"antifreeze|rat poison|weed ?killer|pesticide)|long walk off a short pier"),
    ("overdose", r"(?:took|taken|take|swallowed|downed|had) (?:like |about |around |maybe |almost )?\d{2,} "
                 r"(?:of (?:my|the|her|his|those|these|mum'?s|mom'?s|dad'?s) \w+|(?:\w+ ){0,2}" + _PILLS + r")|(?:shut down|destroy|fry|kill) (?:your|my|the) liver|(?:swallow|swallowed|took|"
                 r"drank|downed|emptied|empty|take) (?:\w+ )?(?:the |a |my )?(?:whole|entire|full) (?:bottle|box|pack|"
                 r"packet|strip|jar|blister|cabinet|supply)|(?:everything|all|all the pills|every pill) in (?:the|my|"
                 r"our) (?:medicine (?:cabinet|cupboard|drawer)|first aid)|(?:emptied|pour|poured|tipped) (?:\w+ ){0,2}"
                 r"(?:all )?(?:my |the )?" + _PILLS + r"|" + _PILLS + r" (?:\w+ ){0,8}(?:enough|suspicious)\b|"
                 r"(?:enough|suspicious) (?:\w+ ){0,6}" + _PILLS),
    ("burden", r"(?:he'?s|she'?s|they'?re|he is|she is|they are|feels like|feel like|calls himself|calls herself) "
               r"(?:a |such a |just a )?burden|(?:so much |much |a lot |way )?(?:easier|better|happier|simpler|lighter|"
               r"freer) without me|(?:better|happier|easier|fine|relieved|free|freer|richer) (?:\w+ ){0,3}if i "
               r"(?:just |simply |finally )?(?:was|were|wasn'?t|weren'?t|died|disappeared|was gone|were gone|"
               r"stopped existing|didn'?t exist|killed " + _SELF + r"|was dead|were dead|wasn'?t alive|weren'?t alive|"
               r"wasn'?t around|weren'?t around|was not)|remove " + _SELF + r" (?:permanently|from the (?:equation|"
               r"picture)|from (?:their|her|his|your) li\w+|for good)|worth more dead|(?:better off|richer|"
               r"provided for) (?:with|from) (?:the|my) (?:life )?insurance|(?:stop|stopped|no longer) being "
               r"(?:everyone'?s|a|their|your) (?:problem|burden)(?: for good|\W*permanently)?"),
    ("farewell", r"(?:if|when) (?:anyone|someone|somebody|you) finds? this|(?:whoever|whomever|the person who|"
                 r"to whoever) (?:\w+ )?(?:finds?|reads?) (?:me|this)|(?:it'?ll|it will|everything will|this will) "
                 r"(?:all )?be (?:over|done|finished) (?:tomorrow|tonight|soon|by|after|then)|(?:tomorrow|tonight|"
                 r"soon) (?:it'?ll|it will|everything will) (?:all )?be (?:over|done)|(?:made|wrote|updated|finished|"
                 r"did|signed) (?:a|my) will\b|(?:closing|close|closed|ending|end) (?:the |my )?"
                 r"(?:last|final) chapter|(?:last|final) chapter of my life|goodbye,? (?:and )?thanks? (?:you )?for "
                 r"everything|won'?t be (?:around|here|alive) (?:after|past|beyond|by) (?:tonight|today|tomorrow|"
                 r"this|the|\w+day)|before i go(?=\s*(?:[.!;]|$))|(?:wrote|written|writing|left|leaving) (?:a )?(?:notes?|letters?) (?:for|to) "
                 r"(?:my|everyone|all|each)(?:[^?]{0,60}?)(?:go|gone|drawer|table|find|over|done|before)"),
    ("self_harm", r"\bcut (?:deeper|too deep|so deep|deep|again|more|tonight|last night)\b|(?:till|until|til) "
                  r"(?:it|i|they|my \w+) (?:bleeds?|bled|broke|break)|\d+ (?:cuts|burns|scars)\b|into my (?:skin|arms?|"
                  r"thighs?|legs?|wrists?|stomach)|(?:cigarettes?|lighter|hot iron|iron|razor|blade|knife|match(?:es)?|"
                  r"compass|scissors|glass)\b(?:[^.!?]{0,30}?)\b(?:on|into|against|across) my (?:arms?|wrists?|skin|"
                  r"thighs?|legs?|stomach|hips?)|(?:started|been|keep|kept|stop|stopped|quit|still|relapsed into) "
                  r"cutting\b(?! (?:back|down|carbs|sugar|hair|my hair|corners|class|school|ties|costs|the|onions|"
                  r"vegetables|wood|out))|\bs ?/ ?h\b|(?:hurt|hit|punch\w*|cut|burn\w*|did it|doing it) (?:\w+ ){0,4}"
                  r"on purpose\b|because i deserve (?:to hurt|it|pain)|deserve to (?:hurt|bleed|suffer|feel pain)"),
    ("euphemism", r"(?:go to sleep|fall asleep|sleep|close my eyes|lie down) (?:\w+ ){0,3}and (?:never|not|don'?t|"
                  r"didn'?t) (?:\w+ )?(?:wake|waking|open)|(?:pray|hope|wish|hoping|praying|wishing) (?:that )?i "
                  r"(?:don'?t|dont|do not|never|won'?t|wouldn'?t|didn'?t) wake up|(?:won'?t|will not|wont|not going to|"
                  r"never) be (?:a |your )?(?:problem|burden|bother|worry) (?:for|to) (?:anyone|anybody|you|everyone|"
                  r"them|anymore)|(?:won'?t|will not|wont|never) have to (?:worry|deal) (?:about|with) me (?:any ?more|"
                  r"again|ever)|(?:log off|sign off|check out|clock out|tap out|bow out) (?:\w+ ){0,2}(?:permanently|"
                  r"for good|forever|of life|from everything|from life)|(?:make|want|need|wish|let) (?:it|everything|"
                  r"the pain|this|all of this|life) (?:all )?(?:to )?(?:stop|end|be over)[\s.,!]+(?:forever|for good|"
                  r"permanently|once and for all)|(?:won'?t|will not|never) (?:feel|hurt) (?:anything |this )?(?:ever "
                  r")?again|(?:join|follow) (?:him|her|them|my (?:\w+ )?(?:brother|sister|mom|mum|dad|son|daughter|"
                  r"wife|husband|friend))(?:[^.!?]{0,40}?)(?:soon|done waiting|die|died|left us|gone|heaven|there)"),
    ("third_party", r"(?:he|she|they|my \w+(?: \w+)?) (?:wished|wishes|wants|said|says) (?:(?!(?:her|him|them|his|their|daddy|mommy|dad|mom|mum)\b)\w+ ){0,4}(?:enough to "
                    r"die|to die|(?:she|he|they)'?d (?:died|be dead))|(?:he|she|they|my \w+(?: \w+)?) (?:\w+ ){0,3}"
                    r"(?:is|are|was) (?:standing|sitting) on (?:the |a )?(?:ledge|edge|balcony|railing|rail|bridge|roof)"),
    # Other languages: means, preparations, farewells and weariness
    ("es", r"(?:guardando|juntando|acumulando|ahorrando) (?:\w+ ){0,2}(?:pastillas|pildoras|medicamentos)|"
           r"(?:cuantas|cuantos) (?:\w+ ){0,3}(?:pastillas|pildoras|paracetamol|ibuprofeno) (?:\w+ ){0,4}(?:morir|"
           r"matar|no despertar)|(?:ojala|quisiera|deseo) no despertar|(?:compre|tengo|consegui) (?:la|una) cuerda|"
           r"\bcuerda\b(?:[^.!?]{0,40}?)(?:dia|noche|colgar\w*|cuello)|me tiro (?:del|de un|de la|por la|al|bajo)|"
           r"ya no (?:voy a|vas a|va a) estar|(?:manana|esta noche|pronto) (?:ya )?(?:todo )?(?:habra|va a) "
           r"(?:acabado|terminado|terminar|acabar)|cartas? (?:para|a) (?:mi|mis) (?:\w+ ){0,4}(?:manana|adios|"
           r"despedida|ya no)|(?:se va a|va a) (?:matar|suicidar|quitar la vida)|colgarme|ahorcarme|"
           r"(?:estoy|estar) (?:\w+ )?cansad[oa] de vivir|no (?:le )?encuentro sentido a (?:la vida|vivir|nada)"),
    ("fr", r"\bcorde\b(?:[^.!?]{0,40}?)(?:week-end|soir|demain|samedi|dimanche|pendre|cou|pour)|"
           r"(?:achete|acheter|j'ai) une corde|(?:mets|mis|garde|gardes|stocke|accumule) (?:\w+ ){0,3}(?:cachets|"
           r"medicaments|comprimes|pilules|somniferes)|(?:cachets|medicaments|comprimes|pilules) (?:\w+ ){0,3}de cote|"
           r"me suis (?:encore )?(?:scarifie\w*|(?:coupe\w*|brule\w*)(?! (?:en|avec|sur|dans|au|a la|le doigt|la main)\b))|combien de (?:\w+ ){0,3}(?:pour|avant de) "
           r"(?:ne (?:pas|plus) (?:se|me) reveiller|mourir|en finir)|(?:demain|ce soir|bientot) (?:tout )?"
           r"(?:sera|ca sera) (?:fini|termine)|se jeter (?:sous|du|d'un|par)|a quoi bon vivre|"
           r"(?:que|veux que) (?:ca|tout) s'arrete (?:pour toujours|definitivement)|me pendre|"
           r"(?:fatigue|fatiguee|marre) de (?:vivre|la vie)|plus (?:la )?(?:force|raison) de vivre"),
    ("de", r"tabletten (?:\w+ ){0,2}(?:gesammelt|gehortet|gespart|zusammen)|(?:sammle|horte|spare) (?:\w+ ){0,2}"
           r"tabletten|besser dran ohne mich|ohne mich (?:\w+ ){0,2}besser dran|wie viele (?:\w+ ){0,3}(?:todlich|"
           r"sterben|nicht mehr aufwach\w*)|(?:sich|mich) (?:\w+ ){0,2}umbringen (?:will|wird|wollte)|"
           r"nicht mehr aufwachen|(?:seil|strick) (?:\w+ )?gekauft|(?:ganze|ganzen) (?:packung|schachtel|dose) "
           r"(?:\w+ )?(?:tabletten|schlaftabletten|pillen)|verschenke (?:meine|all meine) sachen|mich aufhangen|"
           r"(?:mude|satt) (?:zu leben|vom leben)|lebensmude"),
    ("pt", r"(?:juntando|guardando|acumulando|escondendo) (?:\w+ ){0,2}(?:remedios|comprimidos|pilulas|"
           r"calmantes)|(?:quantos|quantas) (?:\w+ ){0,3}(?:comprimidos|remedios|pilulas|paracetamol) (?:\w+ ){0,4}"
           r"(?:morrer|matar|nao acordar)|(?:ficaria|ficariam|estaria|estariam|seria|seriam) melhor sem mim|"
           r"cartas? de despedida|(?:vai|vou) se matar|(?:comprei|tenho|arranjei) (?:uma|a) corda|\bcorda\b(?:[^.!?]"
           r"{0,40}?)(?:sabado|domingo|noite|amanha|pescoco|enforcar)|(?:cartela|caixa|frasco) inteir[ao]|"
           r"me enforcar|cansad[oa] de viver|nao (?:posso|consigo) dizer que nao (?:quero|vou)"),
    ("it", r"mi butto (?:dal|da un|da una|sotto)|mi sono (?:tagliat[oa]|ferit[oa]|bruciat[oa])|(?:ho|tengo) "
           r"(?:messo da parte|conservato|accumulato) (?:\w+ )?(?:pillole|pastiglie|farmaci)|stanc[oa] di vivere|"
           r"non voglio (?:piu )?svegliarmi"),
    ("nl", r"(?:pillen|tabletten) (?:\w+ )?(?:gespaard|verzameld)|voor de trein (?:springen|te springen|spring)|"
           r"moe van het leven|niet meer wakker"),
]
POSITIVE += _MORE

_KEYWORDS = ("suicid", "killmyself", "killmyslf", "endmylife", "takemyownlife", "takemylife", "wanttodie",
             "wannadie", "selfharm", "unalive", "kmsrn", "selbstmord", "suizid", "matarme", "suicidarme",
             "quieromorir", "jeveuxmourir", "queromorrer", "zelfmoord", "hangmyself", "slitmywrists", "overdose")

_IDIOM_RE = re.compile("|".join(f"(?:{p})" for p in IDIOMS))
_DENIAL_RE = re.compile("|".join(f"(?:{p})" for p in DENIALS))
_POSITIVE_RES = [(name, re.compile(p)) for name, p in POSITIVE]


def _blank_denials(text: str) -> str:
    out, last = [], 0
    for m in _DENIAL_RE.finditer(text):
        if _FRAME.search(text[max(0, m.start() - 60):m.start()]):
            continue  # "I can't say I'm not suicidal": a signal, not a denial
        out.append(text[last:m.start()] + " ; ")
        last = m.end()
    return "".join(out) + text[last:]


def clean(normalized: str) -> str:
    """The text with idioms and sincere denials blanked out (what the positive rules see)."""
    return _blank_denials(_IDIOM_RE.sub(" ; ", normalized))


def match_rules(normalized: str) -> tuple[str, str] | None:
    """``(category, phrase)`` of the first positive rule matching ``normalized`` text, or None."""
    cleaned = clean(normalized)
    for name, pattern in _POSITIVE_RES:
        m = pattern.search(cleaned)
        if m:
            return name, m.group(0)
    for word in cleaned.split():
        letters = squash(word)
        for keyword in _KEYWORDS:
            if len(letters) > len(keyword) - 1 and keyword in letters and letters != word:
                return "keyword", word
    return None
