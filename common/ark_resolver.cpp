#include "ark_resolver.hpp"
