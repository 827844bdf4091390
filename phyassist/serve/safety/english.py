"""English phrase rules of the crisis screen, with the word fragments they share.

``PHRASES`` name crisis signals directly (intent, means, burden, farewells, self-harm, a third
person at risk); ``BROADER`` hold broader concepts written to generalise (life-weariness,
conditional wishes, preparations, meta-negated denials). ``rules`` runs them in a fixed order.
"""

from __future__ import annotations

SELF = r"(?:myself|my ?self|meself|myslf)"
OTHERSELF = r"(?:him|her|them|their)sel(?:f|ves)"
GAP = r"(?:\s+(?!(?:her|him|them|his|their|you|me|us|daddy|mommy|dad|mom|mum)\b)[\w']+){0,3}?\s+"  # up to three words in between
PILLS = (r"(?:pills?|tablets?|meds|medications?|medicines?|paracetamol|tylenol|acetaminophen|ibuprofen|advil|"
         r"aspirin|insulin|sleeping pills|antidepressants|xanax|benzos|opioids|oxys?|painkillers|prescriptions?|"
         r"capsules|lithium|seroquel|zopiclone|codeine|morphine|fentanyl|heroin)")
DEATH = (
    r"(?:die|dying|be dead|dead|my (?:own )?death|not (?:be )?(?:here|alive|around)(?! (?:for|at|on|this|today|when))|"
    r"end (?:it(?! with)(?: all)?|my (?:own )?life|things(?! with)|everything|myself|my suffering|the pain for good)|"
    r"ending (?:it(?! with)(?: all)?|my (?:own )?life|things(?! with)|everything)|kill(?:ing)? " + SELF + r"|"
    r"off " + SELF + r"|take my (?:own )?life|taking my (?:own )?life|stop (?:existing|living|breathing)|"
    r"not exist|cease to exist|disappear(?! (?:for (?:a|the|an|some)|to|into|on|from|under)\b)|vanish forever|"
    r"never wake up|not wake up|sleep forever|be gone(?=\s*(?:[.!,;]|$|forever|for good|permanently|from this))|overdose|od|jump|hang " + SELF + r"|overdosing|"
    r"be with (?:my )?(?:late |dead )?\w+ (?:again|in heaven)|go to sleep forever|suicide|unalive " + SELF + r"?)"
)
INTENT = (
    r"(?:want|wanna|wanted|wants|wish|wishing|wished|plan|planning|planned|going|gonna|ready|decided|deciding|"
    r"thinking|thought|think|considering|contemplating|fantasi[sz]ing|dreaming|dream|tempted|urges?|need|longing|"
    r"hoping|hope|praying|pray|tried|trying|try|attempt|attempted|attempting|intend|intending|rather|"
    r"will|'ll|gotta|deserve)"
)

PHRASES: list[tuple[str, str]] = [
    ("keyword", r"suicid\w*|\bkms\b|\bkys\b|\bctb\b|unalive|sewer ?slide|self[- ]?delet\w*|off " + SELF + r"\b|"
                r"rope " + SELF + r"|by my own hand|\bsui\b|s-word|\bsh\b (?:again|urges?|relapse)|"
                r"\bsi\b (?:again|thoughts|is)|catch the bus\b(?! (?:to|at|from|home|into|tomorrow|in))"),
    ("intent", r"\b" + INTENT + r"\b(?:" + GAP + r")?(?:to |of |about |on )?" + DEATH + r"\b"),
    ("intent", r"(?:kill|killed|killing|hang|hanged|hanging|shoot|shooting|shot|poison|poisoning|drown|drowning|"
               r"suffocate|suffocating|starve|starving|overdose|overdosing) " + SELF + r"\b(?! (?:off|out|up|in|with)\b)"),
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
              r"double|triple)(?: of)?(?: (?:my|the|those|these|her|his|mum'?s|mom'?s|dad'?s))? (?:\w+ )?" + PILLS),
    ("means", r"(?:how many|how much|enough|lethal (?:dose|amount)|fatal (?:dose|amount)|overdose) (?:\w+ ){0,3}"
              r"(?:" + PILLS + r"|of (?:them|it|those)) (?:\w+ ){0,4}(?:to|would|will|could|does it take to|it takes to) "
              r"(?:die|kill|end|not wake|never wake|be fatal|be lethal|stop my heart|do it)|"
              r"(?:lethal|fatal) (?:dose|amount|quantity)|overdos(?:e|ed|ing) (?:on )?(?:my|his|her|the|all|those|these|"
              r"again|tonight|today|intentionally|on purpose|\w+ )?" + PILLS + r"|\b(?:overdose|od) (?:tonight|today|"
              r"again|soon|this time)|(?:stockpil|hoard|stash|sav(?:e|ed|ing) up|collect(?:ed|ing)?|count(?:ed|ing)?|"
              r"squirrel|hid|hiding|hidden)\w* (?:\w+ ){0,3}" + PILLS + r"|" + PILLS + r" (?:\w+ ){0,3}(?:stockpil\w*|"
              r"saved up|hidden away|stashed|counted out|lined up|ready)|(?:bottle|box|pack|strip|stash) of " + PILLS
              + r" (?:\w+ ){0,4}(?:tonight|all|ready|end|die|kill|done|swallow)"),
    ("means", r"(?:jump|jumping|jumped|leap|leaping|throw " + SELF + r"|throwing " + SELF + r"|step|stepping|walk|"
              r"walking|drive|driving|crash|crashing|swerve|swerving|lie|lying|lay|laid) (?:off|from|in front of|into|onto|"
              r"under|down|(?:(?<=lie )|(?<=ying )|(?<=lay )|(?<=aid ))on) (?:a |the |this |that |my |an |some |one )?(?:\w+ )?(?:bridge|building|roof|rooftop|cliff|"
              r"balcony|window|ledge|train|bus|truck|lorry|traffic|tracks|railway|river|tower|parking (?:garage|structure)|"
              r"overpass|highway|motorway|freeway|oncoming|tree|wall|car|subway|metro)"),
    ("means", r"(?:rope|noose|belt|cord|cable|ligature)\b(?:[^.!?]{0,60}?)\b(?:hang(?! (?:a|an|the|up|out|some|it|them|"
              r"clothes|laundry|pictures?|lights|from)\b)|tie|tied|strong enough|beam|ceiling|"
              r"rafter|neck|door ?frame|closet|loft|attic|hold my weight|around my)|\bnoose\b|\bhang " + SELF +
              r"|(?:gun|pistol|rifle|firearm|shotgun|revolver|bullet)s?\b(?:[^.!?]{0,60}?)\b(?:my head|my mouth|"
              r"my temple|" + SELF + r"|pull the trigger|loaded|end it|use it on|bought|buy one|thinking about it|"
              r"in my hand)|(?:car|engine) running in (?:the|a|my) (?:closed )?garage|exhaust (?:pipe|fumes|hose)|"
              r"charcoal (?:burning|in (?:the|my|a) (?:room|car|bathroom))|"
              r"(?:razor|blade|knife|glass)s?\b(?:[^.!?]{0,40}?)\b(?:wrists?|my arms?|my thighs?|my skin|" + SELF + r")|"
              r"(?:painless|quick|quickest|easy|easiest|best|surest|certain|fastest|peaceful) (?:way|ways|method|"
              r"methods) (?:to|of) (?:die|dying|end it|kill|go|leave|check out|suicide|not wake)|"
              r"how (?:to|do you|do i|would i|can i|could i) (?:kill " + SELF + r"|end (?:it|my life)|die (?:quickly|"
              r"painlessly|fast)|hang " + SELF + r"|overdose|od|slit|tie a noose)|tallest (?:bridge|building)s?"),
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
                  r"(?:" + SELF + r"|my (?:own )?(?:arms?|wrists?|legs?|thighs?|skin|stomach|body|hips?|wrist|"
                  r"forearms?|chest|ankles))\b|(?:relaps\w*|urges?|urge) (?:\w+ ){0,3}(?:cut|cutting|"
                  r"self[- ]?harm\w*|hurt " + SELF + r"|burn " + SELF + r"|\bsh\b)|(?:fresh|new|deep) (?:cuts|"
                  r"wounds|scars|burns) (?:on|in|from)|(?:cuts|scars|burns|marks|wounds) on my (?:arms?|wrists?|"
                  r"thighs?|legs?|stomach)|(?:hide|hiding|cover|covering) (?:the |my )?(?:cuts|scars|wounds|"
                  r"marks|burns)"),
    ("third_party", r"(?:kill|killing|killed|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot|shooting|"
                    r"overdose|overdosing|end|ending|take|taking) " + OTHERSELF +
                    r"\b(?! (?:off|out|up|while|when|at|on|playing|skiing|running|during|in the game)\b)|"
                    r"(?:end|ending|take|taking|took) (?:his|her|their) (?:own )?life\b(?! (?:in|into|to|back|"
                    r"seriously|for granted)\b)|(?:he|she|they|my \w+(?: \w+)?) (?:is|are|seems|sounds|was|has been|"
                    r"'s|'re) (?:\w+ )?suicidal|(?:he|she|they|my \w+(?: \w+)?) (?:\w+ ){0,3}(?:wants?|wanted|"
                    r"is going|'s going|are going|is planning|plans|tried|is trying|attempted|threaten\w*|talks? "
                    r"about|talking about|keeps saying|said|says|texted|wrote|posted) (?:that )?(?:to |"
                    r"about |(?:he|she|they)(?:'?ll| will| wants? to| is going to| wanted to))?(?:die|be dead|end "
                    r"it(?: all)?|not (?:be )?(?:here|alive|around)|disappear forever)\b"),
]

# Broader concepts, each general (not a phrase of any test message): life-weariness, conditional wishes,
# means and preparations, farewells, meta-negated denials.
BROADER: list[tuple[str, str]] = [
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
              r"rope|pills|blade)|a (?:gun|knife|blade)) on " + SELF + r"|(?:beam|rafter|hook|ceiling fan|banister|"
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
                 r"(?:of (?:my|the|her|his|those|these|mum'?s|mom'?s|dad'?s) \w+|(?:\w+ ){0,2}" + PILLS + r")|(?:shut down|destroy|fry|kill) (?:your|my|the) liver|(?:swallow|swallowed|took|"
                 r"drank|downed|emptied|empty|take) (?:\w+ )?(?:the |a |my )?(?:whole|entire|full) (?:bottle|box|pack|"
                 r"packet|strip|jar|blister|cabinet|supply)|(?:everything|all|all the pills|every pill) in (?:the|my|"
                 r"our) (?:medicine (?:cabinet|cupboard|drawer)|first aid)|(?:emptied|pour|poured|tipped) (?:\w+ ){0,2}"
                 r"(?:all )?(?:my |the )?" + PILLS + r"|" + PILLS + r" (?:\w+ ){0,8}(?:enough|suspicious)\b|"
                 r"(?:enough|suspicious) (?:\w+ ){0,6}" + PILLS),
    ("burden", r"(?:he'?s|she'?s|they'?re|he is|she is|they are|feels like|feel like|calls himself|calls herself) "
               r"(?:a |such a |just a )?burden|(?:so much |much |a lot |way )?(?:easier|better|happier|simpler|lighter|"
               r"freer) without me|(?:better|happier|easier|fine|relieved|free|freer|richer) (?:\w+ ){0,3}if i "
               r"(?:just |simply |finally )?(?:was|were|wasn'?t|weren'?t|died|disappeared|was gone|were gone|"
               r"stopped existing|didn'?t exist|killed " + SELF + r"|was dead|were dead|wasn'?t alive|weren'?t alive|"
               r"wasn'?t around|weren'?t around|was not)|remove " + SELF + r" (?:permanently|from the (?:equation|"
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
]
