"""Long messages residents write: whole stories, up to Telegram's 4,096 characters.

Shared by the search tests and the end-to-end tests. Each story is about rent that cannot
be paid after a lost job, told the way people tell it, with much else around it.
"""

from __future__ import annotations

from typing import Final

TELEGRAM_LONGEST: Final = 4096

RENT_AND_LOST_JOB_SV: Final = """Hej. Jag vet inte riktigt var jag ska börja, men jag försöker förklara. Jag blev av med mitt jobb på lagret i mars när företaget gick i konkurs, och sedan dess har jag inte kunnat betala hela hyran. Nu har hyresvärden skickat ett brev där det står att vi har en skuld och att kontraktet kan sägas upp om vi inte betalar före slutet av månaden.

Jag bor med mina två barn, de är sju och tolv år. Deras pappa bor i en annan stad och hjälper inte till med pengar. Jag har anmält mig på Arbetsförmedlingen och söker jobb varje dag, men det är svårt eftersom jag inte pratar så bra svenska ännu. Jag går på SFI på kvällarna.

Vi har sparat där vi kan. Vi äter billig mat och barnen har inte fått nya kläder i år. Min dotter ska på skolresa i maj och jag har inte sagt till henne att vi kanske inte har råd. Jag sover dåligt och tänker på räkningarna hela tiden. Elräkningen är också sen och jag har fått en påminnelse.

Jag har aldrig bett om hjälp förut och det känns svårt att skriva det här. Min granne sa att kommunen kanske kan hjälpa till, men jag vet inte vad man har rätt till eller vad jag måste skicka in. Jag har kontoutdrag och brevet från hyresvärden. Behöver jag boka en tid eller kan jag bara komma dit? Jag jobbade hela tiden innan, i nio år, och jag vill bara klara mig själv igen.

Jag har försökt prata med banken om ett lån men de sa nej eftersom jag inte har någon inkomst just nu. En vän har lånat mig lite pengar men jag kan inte fråga henne igen. Barnen märker att jag är stressad och min son frågade om vi måste flytta. Jag sa att det ordnar sig, men jag vet inte om det är sant. Vi har bott i lägenheten i sex år och barnen har sina vänner och sin skola här.

Jag har också ett sparkonto för barnen med lite pengar som min mamma satte in när de föddes. Jag vet inte om jag måste använda de pengarna först. Jag har inte bil och inga andra saker av värde. Jag vill göra rätt och inte fuska med något, så jag vill veta hur det fungerar innan jag söker.

Förlåt att det blev så långt. Tack för att du läser."""

RENT_AND_LOST_JOB_EN: Final = """Hello. I do not really know where to start, but I will try to explain. I lost my job at the warehouse in March when the company went bankrupt, and since then I have not been able to pay the whole rent. Now the landlord has sent a letter saying that we owe money and that the contract can be ended if we do not pay before the end of the month.

I live with my two children, they are seven and twelve. Their father lives in another town and does not help with money. I have registered at the employment office and I apply for jobs every day, but it is hard because my Swedish is not good yet. I go to language classes in the evenings.

We save where we can. We eat cheap food and the children have not had new clothes this year. My daughter has a school trip in May and I have not told her that we may not afford it. I sleep badly and think about the bills all the time. The electricity bill is also late and I got a reminder.

I have never asked for help before and it feels hard to write this. My neighbour said the municipality may be able to help, but I do not know what I have the right to or what I must send in. I have bank statements and the letter from the landlord. Do I need to book a time or can I just come? I worked all the time before, for nine years, and I just want to manage on my own again.

I tried to talk to the bank about a loan but they said no because I have no income right now. A friend lent me some money but I cannot ask her again. The children notice that I am stressed and my son asked if we have to move. I said it will be fine, but I do not know if that is true. We have lived in the flat for six years and the children have their friends and their school here.

I also have a savings account for the children with a little money that my mother put in when they were born. I do not know if I must use that money first. I have no car and nothing else of value. I want to do things right and not cheat with anything, so I want to know how it works before I apply.

Sorry that it became so long. Thank you for reading."""
