256 SHA256:rg8/24FhpW7NMyad9lkej/kbk7pEHdaSa9iIYGSa9oA test ecdsa256 (ECDSA)
