DROP TABLE sign_in_experience;
