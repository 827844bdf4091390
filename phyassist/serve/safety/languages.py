"""Phrase rules of the crisis screen in Spanish, French, German, Portuguese, Italian and Dutch.

``PHRASES`` name crisis signals directly; ``BROADER`` add means, preparations, farewells and
weariness. Patterns are written without accents: they run on ``text.normalize``'d text.
"""

from __future__ import annotations

PHRASES: list[tuple[str, str]] = [
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

BROADER: list[tuple[str, str]] = [
    ("es", r"(?:guardando|juntando|acumulando|ahorrando) (?:\w+ ){0,2}(?:pastillas|pildoras|medicamentos)|"
           r"(?:cuantas|cuantos) (?:\w+ ){0,3}(?:pastillas|pildoras|paracetamol|ibuprofeno) (?:\w+ ){0,4}(?:morir|"
           r"matar|no despertar)|(?:ojala|quisiera|deseo) no despertar|(?:compre|tengo|consegui) (?:la|una) cuerda|"
           r"\bcuerda\b(?:[^.!?]{0,40}?)(?:dia|noche|colgar\w*|cuello)|me tiro (?:del|de un|de la|por la|al|bajo)|"
           r"ya no (?:voy a|vas a|va a) estar|(?:manana|esta noche|pronto) (?:ya )?(?:todo )?(?:habra|va a) "
           r"(?:acabado|terminado|terminar|acabar)|cartas? (?:para|a) (?:mi|mis) (?:\w+ ){0,4}(?:manana|adios|"
           r"despedida|ya no)|se va a (?:matar|suicidar|quitar la vida)|colgarme|ahorcarme|"
           r"(?:estoy|estar) (?:\w+ )?cansad[oa] de vivir|no (?:le )?encuentro sentido a (?:la vida|vivir|nada)"),
    ("fr", r"\bcorde\b(?:[^.!?]{0,40}?)(?:week-end|soir|demain|samedi|dimanche|pendre|cou|pour)|"
           r"(?:achete|acheter|j'ai) une corde|(?:mets|mis|garde|gardes|stocke|accumule) (?:\w+ ){0,3}(?:cachets|"
           r"medicaments|comprimes|pilules|somniferes)|(?:cachets|medicaments|comprimes|pilules) (?:\w+ ){0,3}de cote|"
           r"me suis (?:encore )?(?:scarifie\w*|(?:coupe\w*|brule\w*)(?! (?:en|avec|sur|dans|au|a la|le doigt|la main|"
           r"les cheveux|les ongles|la frange)\b))|combien de (?:\w+ ){0,3}(?:pour|avant de) "
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
    ("it", r"mi butto (?:dal|da un|da una|sotto)|mi sono (?:tagliat[oa]|ferit[oa]|bruciat[oa])(?! (?:la mano|il dito|"
           r"le dita|con|cucinando|i capelli)\b)|(?:ho|tengo) "
           r"(?:messo da parte|conservato|accumulato) (?:\w+ )?(?:pillole|pastiglie|farmaci)|stanc[oa] di vivere|"
           r"non voglio (?:piu )?svegliarmi"),
    ("nl", r"(?:pillen|tabletten) (?:\w+ )?(?:gespaard|verzameld)|voor de trein (?:springen|te springen|spring)|"
           r"moe van het leven|niet meer wakker"),
]
