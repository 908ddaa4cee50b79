#include "presentation.hpp"
