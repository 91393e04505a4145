"""Everyday words of movie chat: a misspelt title must hold a word that is none of these.

The 862 alphabetic words found in at least 15 of the 56,628 messages of
the ReDial dialogues in the project's data sets (validation and the partial
training set, CC BY 4.0), titles written as @ids left out, less the names
(words capitalised mid-sentence at least 40% of the time: "Sandler",
"Potter"), plus the few everyday words that filter caught ("black", "king",
"christmas").  A phrase made of these words, even with a slip ("somthing
fun", "horroe"), is a request in ordinary words, never a title to guess.
"""

EVERYDAY_WORDS = frozenset(
    (
        "able about absolutely acting action actions actor actors actress actresses actually add adult adults "
        "adventure advice after afternoon again age ages ago agree ah ahead ahh alien aliens all almost along "
        "alot already alright also although always am amazing american amp an and animal animals animated "
        "animation anime another any anymore anyone anything anytime anyway anyways appreciate are aren around as "
        "ask asking at awards away awesome awhile back bad based basically be because been before behind being "
        "believe best bet better between big bill binge bit black blood book books bored boring both box boy boys "
        "british bro buh bunch but by bye called came can cannot cant car care cars cartoon case cast catch "
        "category certain certainly chance character characters chase chat chatting check checking cheesy chick "
        "child children childrens choice choices choose christmas classic classics close com come comedies comedy "
        "comedys comes comic coming compare coms consider considered conversation cool cop could couldn couple "
        "course crazy creepy crime cry current currently cute dad dark date daughter day days decent definitely "
        "did didn didnt different directed director disappointed do documentaries documentary does doesn doesnt "
        "doing don done dont down drama dramas dude dumb during dvd each earlier early easy effects eh either "
        "else end ending enjoy enjoyable enjoyed enough entertaining epic era especially etc even evening ever "
        "every everyone everything exactly example examples excellent except excited experience fall familiar "
        "family fan fantastic fantasy far fast father fav favorite favorites favourite favs feel felt female few "
        "fi fiction fight film films find finding fine finished first flick flicks follow for foreign forever "
        "forget forgot forward found four franchise friend friendly friends from full fun funnier funny future "
        "game gave general genre genres get gets getting ghost girl girlfriend girls give gives glad go god goes "
        "going gone gonna good goodbye goodie goodnight goofy gore gory got gotta grat great greatest group gt "
        "guess guy guys ha had hadn haha hahaha happen happened happy hard has hate have haven havent having he "
        "head hear heard heart hello help helped helpful helping helps her here hero hey hi high highly hilarious "
        "him his historical history hit hmm hmmm holiday holidays home honestly hope hopefully hoping horror "
        "horrors hot house how however hows huge huh humor husband idea ideas if ill im in indeed indie intense "
        "interest interested interesting into is isn isnt it its ive job jump just keep kid kids killer kind "
        "kinda kinds king know known last lately later latest laugh laughed lead least less let lets life light "
        "like liked likes line lines list little live ll lol long look looked looking looks lot lots love loved "
        "loves luck made main make makes making man many marathon matter may maybe me mean meaning meant meet men "
        "mention mentioned merry might military mind mine minute miss missed mix mixed modern mom moment moments "
        "month mood more morning most mostly move moves movie movies much murder music musical musicals must my "
        "myself mystery name need neither never new newer newest next nice night no non nope not nothing novel "
        "now of off office oh ohh ohhh ok okay old older oldie omg on once one ones only ooh oooh oops open "
        "opinion options or original other others our out over own packed parents part particular parts past "
        "people perfect perhaps period person personal personally pick picky place plan play played playing plays "
        "please pleasure plenty plot point police popular prefer preference pretty previews probably problem "
        "psychological put queen question quite quot rated rather rating re read ready real really reason recall "
        "reccomend recent recently recomend recomended recommend recommendation recommendations recommended "
        "related release released remake remember reminds rent rest reviews rewatch right rock role rom romance "
        "romantic run sad said same save saw say scare scared scary scene scenes school sci science scifi "
        "searching second see seeing seeking seem seems seen sense sequel sequels serial series serious set "
        "several she shot should show side silly similar since slow so some someone something sometimes somewhat "
        "son songs soon sorry sort sound sounds soundtrack space special specific spoof sports spy star starring "
        "stars start started stay stick still stone stories story strange stream strong stuff stupid style such "
        "suggest suggested suggestion suggestions super superhero suppose supposed sure surprised surprisingly "
        "suspense suspenseful sweet take takes talk talking taste tastes teen teens tell than thank thanks that "
        "thats the theater theaters their them theme then there theres these they thing things think thinking "
        "third this those though thought three thriller thrillers through time times tired title to today "
        "together told tonight too top totally trailer trailers travel tried true try trying tv twist two type "
        "types umm under understand unfortunately unique until up ur us use used usually ve version very violent "
        "wait waiting wanna want wanted wanting wants war was wasn wasnt watch watched watching way we week "
        "weekend weird welcome well went were western westerns what whats when where which while white who whole "
        "why wife will wish with without woman women won wonder wonderful wondering woow work works world worries "
        "worth would wouldn wow wrong ya yea yeah year years yep yes yesss yesterday yet yo you young younger "
        "your youre yourself yup zombie"
    ).split()
)
